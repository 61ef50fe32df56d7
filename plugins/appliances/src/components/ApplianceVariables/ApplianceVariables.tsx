import { useEffect, useState } from 'react';
import { useApi } from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import type { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { appliancesApiRef } from '../../api';

type ApplianceVariable =
  AppliancesApiComponents['schemas']['ApplianceVariable'];

const applianceIdOf = (ref: string) =>
  ref.replace(/^resource:(default\/)?/, '');

/**
 * Scaffolder field `ApplianceVariables`: one input for each variable the
 * chosen appliance declares (secret ones as password inputs, defaults shown
 * as placeholders). Its value is `{ NAME: value }` with the filled-in ones.
 */
export function ApplianceVariables(
  props: FieldExtensionComponentProps<Record<string, string>>,
) {
  const api = useApi(appliancesApiRef);
  const appliance = (props.formContext as any)?.formData?.appliance as
    string | undefined;
  const { onChange } = props;
  const value = props.formData ?? {};
  const [declared, setDeclared] = useState<ApplianceVariable[]>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!appliance) return () => {};
    let cancelled = false;
    api.getAppliance(applianceIdOf(appliance)).then(
      a => {
        if (cancelled) return;
        setDeclared(a.variables);
        setError(undefined);
      },
      e => !cancelled && setError(e.message),
    );
    return () => {
      cancelled = true;
    };
  }, [api, appliance]);

  if (!appliance)
    return (
      <Typography>Choose an appliance to see what it asks for.</Typography>
    );
  if (error) return <Alert severity="error">{error}</Alert>;
  if (!declared) return <Typography>Reading the appliance…</Typography>;
  if (!declared.length)
    return (
      <Typography variant="body2" color="textSecondary">
        This appliance asks for no variables.
      </Typography>
    );
  return (
    <>
      <Typography variant="subtitle1">Appliance variables</Typography>
      {declared.map(v => (
        <TextField
          key={v.name}
          id={`appliance-variable-${v.name}`}
          label={v.name}
          type={v.secret ? 'password' : 'text'}
          autoComplete={v.secret ? 'new-password' : 'off'}
          required={v.required && v.default === undefined}
          placeholder={v.default}
          helperText={`${v.description}${v.secret ? ' Kept secret: only the instance receives it.' : ''}`}
          value={value[v.name] ?? ''}
          onChange={e => {
            const next = { ...value, [v.name]: e.target.value };
            if (e.target.value === '') delete next[v.name];
            onChange(next);
          }}
          fullWidth
          margin="normal"
          variant="outlined"
        />
      ))}
    </>
  );
}
