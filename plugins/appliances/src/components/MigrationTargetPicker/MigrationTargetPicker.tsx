import { useEffect, useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import FormLabel from '@material-ui/core/FormLabel';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  Instance,
  MigrationTargets,
  hostingApi,
} from '../../hosting/hostingApi';
import { useMoney } from '../../money/useMoney';
import { ErrorAlert } from '../ErrorAlert';
import {
  MigrationTargetList,
  keptPriceLine,
  preferredTarget,
} from '../InstanceActions/MigrationTargetList';

const nameOf = (ref: string) => ref.replace(/^(?:resource:)?(?:[^/]+\/)?/i, '');

/**
 * Scaffolder field `MigrationTargetPicker`: the hosts the chosen instance
 * may move to (the other hosts of its provider), whether each has room and
 * why not, with Tempest's choice picked until the user picks another, and
 * the price the instance keeps. Its value is the host id.
 * `ui:options.instanceField` names the field holding the instance (default `instance`).
 */
export function MigrationTargetPicker(
  props: FieldExtensionComponentProps<string, { instanceField?: string }>,
) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const money = useMoney();
  const field = props.uiSchema?.['ui:options']?.instanceField ?? 'instance';
  const ref = ((props.formContext as any)?.formData ?? {})[field] as
    string | undefined;
  const [instance, setInstance] = useState<Instance>();
  const [targets, setTargets] = useState<MigrationTargets>();
  const [error, setError] = useState<unknown>();
  const { onChange, formData } = props;

  useEffect(() => {
    setInstance(undefined);
    setTargets(undefined);
    setError(undefined);
    if (!ref) return () => {};
    let cancelled = false;
    const api = hostingApi({ discoveryApi, fetchApi });
    (async () => {
      const page = await api.listInstances({ hostname: nameOf(ref), limit: 1 });
      const found = page.items[0];
      if (cancelled) return;
      if (!found) {
        setError(new Error(`You may not move ${nameOf(ref)}`));
        return;
      }
      setInstance(found);
      if (!found.allowedActions?.includes('migrate')) return;
      const answer = await api.listMigrationTargets(found.id);
      if (!cancelled) setTargets(answer);
    })().catch(e => !cancelled && setError(e));
    return () => {
      cancelled = true;
    };
  }, [ref, discoveryApi, fetchApi]);

  // The form holds the host's name (what the review shows); the list speaks ids.
  const idOf = (name?: string) =>
    targets?.items.find(t => t.hostName === name)?.hostId;
  const pick = (hostId: string) =>
    onChange(targets?.items.find(t => t.hostId === hostId)?.hostName);

  // Tempest's choice stands until the user picks another host that fits.
  useEffect(() => {
    if (!targets) return;
    const picked = targets.items.find(t => t.hostName === formData && t.fits);
    const fallback = preferredTarget(targets.items)?.hostName;
    if (!picked && formData !== fallback) onChange(fallback);
  }, [targets, formData, onChange]);

  const title = props.schema.title ?? 'Destination host';
  let body;
  if (error) body = <ErrorAlert error={error} />;
  else if (!ref) body = <FormHelperText>Pick an instance first</FormHelperText>;
  else if (!instance)
    body = <Typography variant="body2">Reading the instance…</Typography>;
  else if (!instance.allowedActions?.includes('migrate'))
    body = (
      <Alert severity="warning">
        {instance.hostname} is {instance.state}: only running, stopped or stored
        instances move. Resume or stop it first, then run this template again.
      </Alert>
    );
  else if (!targets)
    body = (
      <Typography variant="body2">Looking for hosts with room…</Typography>
    );
  else if (!targets.items.some(t => t.fits))
    body = (
      <>
        <Alert severity="warning">
          Nowhere to move {instance.hostname} now: {targets.summary}
        </Alert>
        <MigrationTargetList
          targets={targets.items}
          onChange={pick}
          disabled
          label={title}
        />
      </>
    );
  else
    body = (
      <>
        <MigrationTargetList
          targets={targets.items}
          value={idOf(formData)}
          onChange={pick}
          label={title}
        />
        <FormHelperText>
          {instance.hostname} is {instance.state} on {instance.hostName}.{' '}
          {keptPriceLine(instance, money)}
        </FormHelperText>
      </>
    );

  return (
    <FormControl
      component="fieldset"
      fullWidth
      required={props.required}
      error={Boolean(props.rawErrors?.length)}
    >
      <FormLabel component="legend">{title}</FormLabel>
      {body}
    </FormControl>
  );
}
