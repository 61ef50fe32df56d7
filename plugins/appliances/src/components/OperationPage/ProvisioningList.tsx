import {
  Link,
  Progress,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Chip from '@material-ui/core/Chip';
import useAsync from 'react-use/esm/useAsync';
import { Instance, Operation, hostingApi } from '../../hosting/hostingApi';
import { ApplianceLink } from '../EntityLinks';
import { InstanceStateChip } from '../MyInstancesPage/InstanceStateChip';

const RECENT = 20;

type Row = { instance: Instance; operation?: Operation };

const OUTCOME: Record<string, [string, 'default' | 'primary' | 'secondary']> = {
  pending: ['under way', 'primary'],
  running: ['under way', 'primary'],
  'rolling-back': ['rolling back', 'secondary'],
  succeeded: ['finished', 'default'],
  failed: ['failed', 'secondary'],
};

function Outcome(props: { row: Row }) {
  const state =
    props.row.operation?.state ??
    (props.row.instance.state === 'provisioning' ? 'running' : undefined);
  if (!state) return <>—</>;
  const [label, color] = OUTCOME[state] ?? [state, 'default'];
  const what =
    props.row.operation?.kind === 'migrate' ? 'move' : 'provisioning';
  return <Chip size="small" label={`${what} ${label}`} color={color} />;
}

/**
 * /appliances/operations: the latest operation of the user's recent
 * instances, a provisioning or a move (under way, failed and finished, the
 * deleted instances' included), each linking to its live view.
 */
export function ProvisioningList() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const { value, loading, error } = useAsync(async (): Promise<Row[]> => {
    const api = hostingApi({ discoveryApi, fetchApi });
    const [live, deleted] = await Promise.all([
      api.listInstances({ limit: RECENT }),
      api.listInstances({ state: 'deleted', limit: RECENT }),
    ]);
    const instances = [...live.items, ...deleted.items]
      .filter(i => i.operationId)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, RECENT);
    return Promise.all(
      instances.map(async instance => ({
        instance,
        operation: await api.getOperation(instance.operationId!),
      })),
    );
  }, [discoveryApi, fetchApi]);

  if (loading) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;

  const columns: TableColumn<Row>[] = [
    {
      title: 'Instance',
      render: r => (
        <Link to={r.instance.operationId!}>{r.instance.hostname}</Link>
      ),
    },
    { title: 'Latest operation', render: r => <Outcome row={r} /> },
    {
      title: 'Instance now',
      render: r => <InstanceStateChip instance={r.instance} />,
    },
    {
      title: 'Appliance',
      render: r => <ApplianceLink applianceId={r.instance.applianceId} />,
    },
    {
      title: 'Why it failed',
      render: r =>
        r.operation?.state === 'failed'
          ? (r.operation.error ?? r.instance.error ?? '—')
          : '—',
    },
    {
      title: 'Requested',
      render: r =>
        new Date(
          r.operation?.createdAt ?? r.instance.createdAt,
        ).toLocaleString(),
    },
    {
      title: 'Finished',
      render: r =>
        r.operation?.finishedAt
          ? new Date(r.operation.finishedAt).toLocaleString()
          : '—',
    },
  ];
  return (
    <Table<Row>
      title="Recent operations"
      options={{
        search: false,
        paging: false,
        sorting: false,
        draggable: false,
        padding: 'dense',
      }}
      columns={columns}
      data={value ?? []}
      emptyContent={
        <div style={{ padding: 16 }}>
          Nothing has been provisioned yet. Provision an appliance from the{' '}
          <Link to="/appliances">Appliances</Link> page.
        </div>
      }
    />
  );
}
