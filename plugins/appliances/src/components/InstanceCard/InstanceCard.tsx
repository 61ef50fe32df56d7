import { useCallback, useEffect, useState } from 'react';
import {
  InfoCard,
  Progress,
  StructuredMetadataTable,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { ApplianceLink, HostLink } from '../EntityLinks';
import {
  Instance,
  InstanceEvent,
  hostingApi,
  uptimeOf,
} from '../../hosting/hostingApi';
import { InstanceAddress } from '../InstanceAddress';
import { InstanceActionButtons } from '../InstanceActions';
import { ConsoleButton } from '../InstanceConsole';
import { InstanceStateChip } from '../MyInstancesPage/InstanceStateChip';

export const INSTANCE_ID_ANNOTATION = 'tempest.dev/instance-id';

/** `stop: started → stopped (v3) by user:default/ann`. */
export function describeEvent(event: InstanceEvent): string {
  const what =
    event.kind === 'denied'
      ? `${event.action} refused`
      : (event.action ?? event.kind);
  let move = '';
  if (event.fromState && event.toState)
    move = `: ${event.fromState} → ${event.toState}`;
  else if (event.fromState) move = ` in ${event.fromState}`;
  const version = event.version !== undefined ? ` (v${event.version})` : '';
  const outcome = event.outcome === 'failed' ? ' — failed' : '';
  return `${what}${move}${version}${outcome} by ${event.actor}`;
}

/** What the instance was given at provisioning: its full name, SSH keys and variables (secret ones by name). */
function instanceValuesOf(instance: Instance): Record<string, string> {
  const values: Record<string, string> = {};
  if (instance.domain) values.name = `${instance.hostname}.${instance.domain}`;
  if (instance.sshAuthorizedKeys?.length)
    values['SSH keys'] = instance.sshAuthorizedKeys
      .map(k => k.split(' ').slice(2).join(' ') || k.split(' ')[0])
      .join(', ');
  const variables = [
    ...Object.entries(instance.variables ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(instance.secretVariables ?? []).map(k => `${k} (secret)`),
  ];
  if (variables.length) values.variables = variables.join(', ');
  return values;
}

/** The instance card on appliance-instance entities: state, actions and history. */
export function InstanceCard() {
  const { entity } = useEntity();
  const id = entity.metadata.annotations?.[INSTANCE_ID_ANNOTATION];
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [instance, setInstance] = useState<Instance>();
  const [events, setEvents] = useState<InstanceEvent[]>([]);
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    if (!id) return;
    const api = hostingApi({ discoveryApi, fetchApi });
    try {
      const [current, history] = await Promise.all([
        api.getInstance(id),
        api.listInstanceEvents(id, 15),
      ]);
      setInstance(current);
      setEvents(history.items);
      setError(undefined);
    } catch (e: any) {
      setError(e.body?.error?.message ?? e.message);
    }
  }, [id, discoveryApi, fetchApi]);

  useEffect(() => {
    load();
  }, [load]);

  if (!id)
    return (
      <InfoCard title="Instance">
        This entity has no {INSTANCE_ID_ANNOTATION} annotation.
      </InfoCard>
    );
  if (error)
    return (
      <InfoCard title="Instance">
        <Alert severity="error">{error}</Alert>
      </InfoCard>
    );
  if (!instance)
    return (
      <InfoCard title="Instance">
        <Progress />
      </InfoCard>
    );

  return (
    <InfoCard title={`Instance ${instance.hostname}`}>
      <StructuredMetadataTable
        metadata={{
          state: <InstanceStateChip instance={instance} />,
          appliance: <ApplianceLink applianceId={instance.applianceId} />,
          host: <HostLink hostName={instance.hostName} />,
          // The instance's own change counter, not the appliance's version.
          revision: instance.version,
          address: <InstanceAddress instance={instance} showMac />,
          ...instanceValuesOf(instance),
          uptime: uptimeOf(instance),
          ...(instance.error ? { 'last error': instance.error } : {}),
        }}
      />
      <Box
        mt={2}
        mb={2}
        display="flex"
        alignItems="flex-start"
        style={{ gap: 8 }}
      >
        <InstanceActionButtons instance={instance} onChanged={() => load()} />
        <ConsoleButton instance={instance} />
      </Box>
      <Typography variant="subtitle2">History</Typography>
      {events.length === 0 ? (
        <Typography variant="body2">Nothing yet.</Typography>
      ) : (
        <ul style={{ margin: 0, paddingLeft: 16 }}>
          {events.map(event => (
            <li key={event.id}>
              <Typography variant="body2">
                {new Date(event.at).toLocaleString()} — {describeEvent(event)}
                {event.message ? `: ${event.message}` : ''}
              </Typography>
            </li>
          ))}
        </ul>
      )}
    </InfoCard>
  );
}
