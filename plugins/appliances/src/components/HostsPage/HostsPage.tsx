import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  Content,
  Link,
  LinkButton,
  Table,
  TableColumn,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Host, formatDuration, hostingApi } from '../../hosting/hostingApi';
import { useMoney } from '../../money/useMoney';
import { Capacity } from '../Capacity';
import { HostLink } from '../EntityLinks';
import { ErrorAlert } from '../ErrorAlert';
import { EnrolmentDialog } from './EnrolmentDialog';
import { PricingDialog } from './PricingDialog';
import {
  HostPowerAction,
  HostPowerActions,
  HostPowerDialog,
} from './HostPowerActions';
import { HostPowerPanel } from './HostPowerPanel';
import { HostPowerState } from './HostPowerState';
import { describeHostPricing } from './hostPricing';

type HostRow = Host & { instances: number };

const REGISTER_HOST = '/create/templates/default/register-host';
const REFRESH_MS = 10_000;

const STATE_COLOURS: Record<string, 'primary' | 'secondary' | 'default'> = {
  online: 'primary',
  offline: 'secondary',
};

/** Edit prices, maintenance on or off, a new enrolment token while the host has not enrolled. */
function HostActions(props: {
  host: Host;
  onEditPrices: (host: Host) => void;
  onEnrol: (host: Host) => void;
  onDone: () => void;
  onError: (error: unknown) => void;
}) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [busy, setBusy] = useState(false);
  const { host } = props;
  const toggleMaintenance = async () => {
    setBusy(true);
    props.onError(undefined);
    try {
      await hostingApi({ discoveryApi, fetchApi }).setHostMaintenance(
        host.id,
        host.state !== 'maintenance',
      );
    } catch (e) {
      props.onError(e);
    } finally {
      setBusy(false);
      props.onDone();
    }
  };
  return (
    <Box display="flex" flexDirection="column" alignItems="flex-start">
      <Button
        size="small"
        color="primary"
        onClick={() => props.onEditPrices(host)}
        aria-label={`Edit the prices of ${host.name}`}
      >
        Edit prices
      </Button>
      <Button
        size="small"
        color="primary"
        disabled={busy || host.state === 'pending'}
        onClick={toggleMaintenance}
        aria-label={
          host.state === 'maintenance'
            ? `End maintenance of ${host.name}`
            : `Start maintenance of ${host.name}`
        }
      >
        {host.state === 'maintenance' ? 'End maintenance' : 'Maintenance'}
      </Button>
      {!host.enrolledAt && (
        <Button
          size="small"
          color="primary"
          onClick={() => props.onEnrol(host)}
          aria-label={`New enrolment token for ${host.name}`}
        >
          New enrolment token
        </Button>
      )}
    </Box>
  );
}

/** `2026-…` → `12s ago`; never. */
export function heartbeatAgo(at?: string, now = Date.now()): string {
  if (!at) return 'no heartbeat yet';
  return `${formatDuration(Math.max(0, (now - Date.parse(at)) / 1000))} ago`;
}

/**
 * My hosts: the provider's console. Each host with its state, last
 * heartbeat, power and Watts, capacity in use, instances and prices, and the
 * provider's actions: edit prices, maintenance on or off, a new enrolment
 * token, power on, off or cycle; below, each host's power over time, the
 * energy consolidation saved and its power decisions.
 */
export function HostsPage() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const money = useMoney();
  const [editing, setEditing] = useState<Host>();
  const [enrolling, setEnrolling] = useState<Host>();
  const [actionError, setActionError] = useState<unknown>();
  const [powering, setPowering] = useState<{
    host: HostRow;
    action: HostPowerAction;
  }>();

  const hosts = useAsyncRetry(async (): Promise<HostRow[]> => {
    const api = hostingApi({ discoveryApi, fetchApi });
    const { items } = await api.listHosts();
    // One counted query per host, filtered and counted in the database.
    return Promise.all(
      items.map(async host => ({
        ...host,
        instances: (await api.listInstances({ hostId: host.id, limit: 1 }))
          .totalCount,
      })),
    );
  }, [discoveryApi, fetchApi]);

  // react-use hands out a new retry each render; the table needs a stable one.
  const retryRef = useRef(hosts.retry);
  retryRef.current = hosts.retry;
  const retry = useCallback(() => retryRef.current(), []);

  // Heartbeats, capacity and power move on their own: look again now and then.
  const [refreshCount, setRefreshCount] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => {
      retry();
      setRefreshCount(n => n + 1);
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [retry]);

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo<TableColumn<HostRow>[]>(
    () => [
      {
        title: 'Host',
        field: 'name',
        render: h => (
          <>
            <HostLink hostName={h.name} />
            <Typography variant="caption" component="div" color="textSecondary">
              {h.cpuCores} × {h.cpuModel} at {h.coreSpeedMhz.toLocaleString()}{' '}
              MHz
            </Typography>
          </>
        ),
      },
      {
        title: 'State and power',
        field: 'state',
        render: h => (
          <>
            <Chip
              size="small"
              label={h.state}
              color={STATE_COLOURS[h.state] ?? 'default'}
            />
            <Typography variant="caption" component="div" color="textSecondary">
              {heartbeatAgo(h.lastHeartbeatAt)}
            </Typography>
            <Box mt={1}>
              <HostPowerState host={h} />
            </Box>
          </>
        ),
      },
      {
        title: 'Capacity in use',
        render: h => (
          <Box minWidth={170}>
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
      },
      {
        title: 'Instances',
        field: 'instances',
        render: h =>
          h.instances ? (
            <Link
              to={`/appliances/instances?hostId=${encodeURIComponent(h.id)}`}
            >
              {h.instances}
            </Link>
          ) : (
            '0'
          ),
      },
      {
        title: 'Prices',
        render: h => (
          <Box maxWidth={300}>
            {describeHostPricing(h.pricing, money.price).map(line => (
              <Typography key={line} variant="caption" component="div">
                {line}
              </Typography>
            ))}
          </Box>
        ),
      },
      {
        title: 'Actions',
        render: h => (
          <>
            <HostActions
              host={h}
              onEditPrices={setEditing}
              onEnrol={setEnrolling}
              onDone={retry}
              onError={setActionError}
            />
            <HostPowerActions
              host={h}
              onPower={(_, action) => setPowering({ host: h, action })}
            />
          </>
        ),
      },
    ],
    [money, retry],
  );

  return (
    <Content>
      <Box
        display="flex"
        justifyContent="space-between"
        alignItems="center"
        mb={2}
      >
        <Typography color="textSecondary">
          Hosts you provide. Maintenance stops new placements on a host;
          instances on it keep running.
        </Typography>
        <LinkButton to={REGISTER_HOST} variant="contained" color="primary">
          Register host
        </LinkButton>
      </Box>
      {hosts.error && <ErrorAlert error={hosts.error} />}
      {actionError !== undefined && (
        <Box mb={2}>
          <ErrorAlert
            error={actionError}
            onClose={() => setActionError(undefined)}
          />
        </Box>
      )}
      <Table<HostRow>
        title="Hosts"
        isLoading={hosts.loading && !hosts.value}
        options={{ search: false, paging: false, padding: 'dense' }}
        columns={columns}
        data={hosts.value ?? []}
        emptyContent={
          <Box p={2}>
            No hosts yet: <Link to={REGISTER_HOST}>register one</Link> with the
            Register host template.
          </Box>
        }
      />
      <HostPowerPanel hosts={hosts.value ?? []} refresh={refreshCount} />
      {powering && (
        <HostPowerDialog
          host={powering.host}
          action={powering.action}
          instances={powering.host.instances}
          onError={setActionError}
          onClose={() => {
            setPowering(undefined);
            retry();
          }}
        />
      )}
      {editing && (
        <PricingDialog
          host={editing}
          onClose={updated => {
            setEditing(undefined);
            if (updated) retry();
          }}
        />
      )}
      {enrolling && (
        <EnrolmentDialog
          host={enrolling}
          onClose={() => {
            setEnrolling(undefined);
            retry();
          }}
        />
      )}
    </Content>
  );
}
