import { useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import { Host, HostPricing, hostingApi } from '../../hosting/hostingApi';
import { ErrorAlert } from '../ErrorAlert';
import { MoneyTextField } from '../MoneyTextField';

type Draft = { [K in keyof HostPricing]: HostPricing[K] | undefined };

function WholeNumber(props: {
  label: string;
  value?: number;
  onChange: (value: number | undefined) => void;
  helperText?: string;
}) {
  const invalid =
    props.value === undefined || !Number.isSafeInteger(props.value);
  return (
    <TextField
      fullWidth
      type="number"
      label={props.label}
      value={props.value ?? ''}
      error={invalid}
      helperText={invalid ? 'A whole number of at least 1' : props.helperText}
      inputProps={{ min: 1, step: 1, 'aria-label': props.label }}
      onChange={e =>
        props.onChange(
          e.target.value === '' ? undefined : Number(e.target.value),
        )
      }
    />
  );
}

/** Edits a host's prices; they apply to instances placed from now on. */
export function PricingDialog(props: {
  host: Host;
  onClose: (updated?: Host) => void;
}) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [draft, setDraft] = useState<Draft>(props.host.pricing);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const set =
    <K extends keyof HostPricing>(key: K) =>
    (value: number | undefined) =>
      setDraft(d => ({ ...d, [key]: value }));
  const complete = Object.values(draft).every(
    v => v !== undefined && Number.isSafeInteger(v),
  );

  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const updated = await hostingApi({
        discoveryApi,
        fetchApi,
      }).updateHostPricing(props.host.id, draft as HostPricing);
      props.onClose(updated);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={() => props.onClose()} maxWidth="md" fullWidth>
      <DialogTitle>Prices of {props.host.name}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          Running time is charged per running period while an instance is
          started; storage per storage period whatever its state. New prices
          apply to instances placed from now on: running instances keep the
          prices locked in when they were placed.
        </DialogContentText>
        <Grid container spacing={2}>
          <Grid item xs={6} sm={3}>
            <WholeNumber
              label="CPU unit (MHz)"
              value={draft.speedUnitMhz}
              onChange={set('speedUnitMhz')}
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <MoneyTextField
              label="Price per CPU unit"
              valueMinor={draft.speedPriceMinor}
              onChange={set('speedPriceMinor')}
              helperText="per running period"
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <WholeNumber
              label="Memory unit (MB)"
              value={draft.memoryUnitMb}
              onChange={set('memoryUnitMb')}
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <MoneyTextField
              label="Price per memory unit"
              valueMinor={draft.memoryPriceMinor}
              onChange={set('memoryPriceMinor')}
              helperText="per running period"
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <WholeNumber
              label="Running period (seconds)"
              value={draft.runningPeriodSeconds}
              onChange={set('runningPeriodSeconds')}
              helperText="3600 is an hour"
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <WholeNumber
              label="Storage unit (MB)"
              value={draft.storageUnitMb}
              onChange={set('storageUnitMb')}
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <MoneyTextField
              label="Price per storage unit"
              valueMinor={draft.storagePriceMinor}
              onChange={set('storagePriceMinor')}
              helperText="per storage period"
            />
          </Grid>
          <Grid item xs={6} sm={3}>
            <WholeNumber
              label="Storage period (seconds)"
              value={draft.storagePeriodSeconds}
              onChange={set('storagePeriodSeconds')}
              helperText="86400 is a day"
            />
          </Grid>
        </Grid>
        {error !== undefined && (
          <div style={{ marginTop: 16 }}>
            <ErrorAlert error={error} />
          </div>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => props.onClose()}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={!complete || busy}
          onClick={save}
        >
          {busy ? 'Saving…' : 'Save prices'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
