import {
  InfoCard,
  Link,
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
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { hostingApi } from '../../hosting/hostingApi';
import { useMoney } from '../../money/useMoney';
import { Capacity } from '../Capacity';
import { ErrorAlert } from '../ErrorAlert';
import { heartbeatAgo } from '../HostsPage/HostsPage';
import { describeHostPricing } from '../HostsPage/hostPricing';

export const HOST_ID_ANNOTATION = 'tempest.dev/host-id';

/**
 * The host card on appliance-host entities: state and last heartbeat, the
 * hardware, capacity in use, instances on it and its prices, for the
 * provider who owns it (and admins; others get the backend's refusal).
 */
export function HostCard() {
  const { entity } = useEntity();
  const id = entity.metadata.annotations?.[HOST_ID_ANNOTATION];
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const money = useMoney();

  const host = useAsync(async () => {
    if (!id) return undefined;
    const api = hostingApi({ discoveryApi, fetchApi });
    const [current, instances] = await Promise.all([
      api.getHost(id),
      api.listInstances({ hostId: id, limit: 1 }),
    ]);
    return { ...current, instances: instances.totalCount };
  }, [id, discoveryApi, fetchApi]);

  if (!id)
    return (
      <InfoCard title="Host">
        This entity has no {HOST_ID_ANNOTATION} annotation.
      </InfoCard>
    );
  if (host.error)
    return (
      <InfoCard title="Host">
        <ErrorAlert error={host.error} />
      </InfoCard>
    );
  if (!host.value)
    return (
      <InfoCard title="Host">
        <Progress />
      </InfoCard>
    );

  const h = host.value;
  return (
    <InfoCard
      title={`Host ${h.name}`}
      deepLink={{ title: 'Manage in My hosts', link: '/appliances/hosts' }}
    >
      <StructuredMetadataTable
        metadata={{
          state: (
            <>
              <Chip size="small" label={h.state} />
              <Typography variant="caption" color="textSecondary">
                {heartbeatAgo(h.lastHeartbeatAt)}
              </Typography>
            </>
          ),
          hardware: `${h.cpuCores} × ${h.cpuModel} at ${h.coreSpeedMhz.toLocaleString()} MHz`,
          'capacity in use': (
            <Box minWidth={220}>
              <Capacity
                label="Cores"
                used={h.used.cpuCores}
                total={h.cpuCores}
                unit=""
              />
              <Capacity
                label="Memory"
                used={h.used.memoryMb}
                total={h.memoryMb}
                unit="MB"
              />
              <Capacity
                label="Storage"
                used={h.used.storageMb}
                total={h.storageMb}
                unit="MB"
              />
            </Box>
          ),
          instances: h.instances ? (
            <Link
              to={`/appliances/instances?hostId=${encodeURIComponent(h.id)}`}
            >
              {h.instances}
            </Link>
          ) : (
            '0'
          ),
          prices: (
            <>
              {describeHostPricing(h.pricing, money.price).map(line => (
                <Typography key={line} variant="body2">
                  {line}
                </Typography>
              ))}
            </>
          ),
        }}
      />
    </InfoCard>
  );
}
