import {
  Content,
  ContentHeader,
  Table,
  TableColumn,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Chip from '@material-ui/core/Chip';
import LinearProgress from '@material-ui/core/LinearProgress';
import Alert from '@material-ui/lab/Alert';
import useAsync from 'react-use/esm/useAsync';
import { Host, hostingApi } from '../../hosting/hostingApi';

type HostRow = Host & { instances: number };

/** `used / total` with a bar. */
function Capacity(props: { used: number; total: number; unit: string }) {
  const percent = props.total
    ? Math.min(100, (props.used / props.total) * 100)
    : 0;
  return (
    <div style={{ minWidth: 120 }}>
      {props.used.toLocaleString()} / {props.total.toLocaleString()}{' '}
      {props.unit}
      <LinearProgress variant="determinate" value={percent} />
    </div>
  );
}

/** Hosts the provider owns (all for admins): online state, capacity in use, instances on each. */
export function HostsPage() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const { value, loading, error } = useAsync(async (): Promise<HostRow[]> => {
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

  const columns: TableColumn<HostRow>[] = [
    { title: 'Host', field: 'name' },
    { title: 'Owner', field: 'owner' },
    {
      title: 'State',
      field: 'state',
      render: h => (
        <Chip
          size="small"
          label={h.state}
          color={h.state === 'online' ? 'primary' : 'default'}
        />
      ),
    },
    {
      title: 'Cores',
      render: h => (
        <Capacity used={h.used.cpuCores} total={h.cpuCores} unit="cores" />
      ),
    },
    {
      title: 'Memory',
      render: h => (
        <Capacity used={h.used.memoryMb} total={h.memoryMb} unit="MB" />
      ),
    },
    {
      title: 'Storage',
      render: h => (
        <Capacity used={h.used.storageMb} total={h.storageMb} unit="MB" />
      ),
    },
    { title: 'Instances', field: 'instances', type: 'numeric' },
    {
      title: 'Last heartbeat',
      render: h =>
        h.lastHeartbeatAt
          ? new Date(h.lastHeartbeatAt).toLocaleString()
          : 'never',
    },
  ];

  return (
    <Content>
      <ContentHeader title="My hosts" />
      {error && (
        <Alert severity="error">
          {(error as any).body?.error?.message ?? error.message}
        </Alert>
      )}
      <Table<HostRow>
        title="Hosts"
        isLoading={loading}
        options={{ search: false, paging: false }}
        columns={columns}
        data={value ?? []}
        emptyContent={
          <div style={{ padding: 16 }}>
            No hosts: register one with the Register host template.
          </div>
        }
      />
    </Content>
  );
}
