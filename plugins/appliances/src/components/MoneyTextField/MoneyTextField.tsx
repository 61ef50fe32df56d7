import { useEffect, useState } from 'react';
import InputAdornment from '@material-ui/core/InputAdornment';
import TextField from '@material-ui/core/TextField';
import {
  currencyMinorDigits,
  currencySymbol,
  minorToDecimalString,
  parseMoneyInput,
} from '@tempest/backstage-plugin-appliances-common';
import { useMoney } from '../../money/useMoney';

/**
 * An amount of money typed in the installation currency (`0.10` for ten
 * cents) and handed on as an integer of minor units; undefined while the
 * text is empty or not an amount.
 */
export function MoneyTextField(props: {
  label: string;
  valueMinor?: number;
  onChange: (valueMinor: number | undefined) => void;
  helperText?: string;
  required?: boolean;
  error?: boolean;
  id?: string;
  fullWidth?: boolean;
}) {
  const { currency } = useMoney();
  const digits = currencyMinorDigits(currency);
  const shown = (minor?: number) =>
    minor === undefined ? '' : minorToDecimalString(minor, digits);
  const [text, setText] = useState(shown(props.valueMinor));
  const parsed = parseMoneyInput(text, currency);
  const invalid = text.trim() !== '' && parsed === undefined;

  // Follow a value set from outside (a reset, a prefill) without fighting the typist.
  useEffect(() => {
    if (props.valueMinor !== parseMoneyInput(text, currency)) {
      setText(shown(props.valueMinor));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [props.valueMinor]);

  return (
    <TextField
      id={props.id}
      label={props.label}
      value={text}
      required={props.required}
      fullWidth={props.fullWidth ?? true}
      error={props.error || invalid}
      inputProps={{ inputMode: 'decimal', 'aria-label': props.label }}
      InputProps={{
        startAdornment: (
          <InputAdornment position="start">
            {currencySymbol(currency)}
          </InputAdornment>
        ),
      }}
      helperText={
        invalid
          ? `An amount in ${currency} with at most ${digits} decimal${digits === 1 ? '' : 's'}, such as ${minorToDecimalString(10 ** digits + 50, digits)}`
          : props.helperText
      }
      onChange={event => {
        setText(event.target.value);
        props.onChange(parseMoneyInput(event.target.value, currency));
      }}
    />
  );
}
