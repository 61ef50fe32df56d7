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
import useAsync from 'react-use/esm/useAsync';
import { Instance, hostingApi } from '../../hosting/hostingApi';
import { InstanceStateChip } from '../MyInstancesPage/InstanceStateChip';

const RECENT_ERRORS = 20;

/**
 * /appliances/operations: the provisionings the user may follow, those under
 * way and those that failed (with why), each linking to its live view.
 */
export function ProvisioningList() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const { value, loading, error } = useAsync(async () => {
    const api = hostingApi({ discoveryApi, fetchApi });
    const [running, broken] = await Promise.all([
      api.listInstances({ state: 'provisioning', limit: 100 }),
      api.listInstances({ state: 'error', limit: RECENT_ERRORS }),
    ]);
    // An instance can also be in error after a later action; only a failed operation is a failed provisioning.
    const failed = await Promise.all(
      broken.items
        .filter(i => i.operationId)
        .map(async i =>
          (await api.getOperation(i.operationId!)).state === 'failed'
            ? [i]
            : [],
        ),
    );
    return [...running.items.filter(i => i.operationId), ...failed.flat()];
  }, [discoveryApi, fetchApi]);

  if (loading) return <Progress />;
  if (error) return <ResponseErrorPanel error={error} />;

  const columns: TableColumn<Instance>[] = [
    {
      title: 'Instance',
      field: 'hostname',
      render: i => <Link to={i.operationId!}>{i.hostname}</Link>,
    },
    {
      title: 'State',
      field: 'state',
      render: i => <InstanceStateChip instance={i} />,
    },
    { title: 'Appliance', field: 'applianceId' },
    { title: 'Why it failed', field: 'error', render: i => i.error ?? '—' },
    {
      title: 'Requested',
      field: 'createdAt',
      render: i => new Date(i.createdAt).toLocaleString(),
    },
  ];
  return (
    <Table<Instance>
      title="Provisioning under way or failed"
      options={{ search: false, paging: false, sorting: false }}
      columns={columns}
      data={value ?? []}
      emptyContent={
        <div style={{ padding: 16 }}>
          Nothing is being provisioned. Provision an appliance from the{' '}
          <Link to="/appliances">Appliances</Link> page.
        </div>
      }
    />
  );
}
