import { useMemo, useRef } from 'react';
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
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { INSTANCE_STATES } from '@tempest/backstage-plugin-appliances-common';
import { useSearchParams } from 'react-router-dom';
import { Instance, hostingApi, uptimeOf } from '../../hosting/hostingApi';
import { ApplianceLink, HostLink, InstanceLink } from '../EntityLinks';
import { InstanceActionButtons } from '../InstanceActions';
import { InstanceAddress } from '../InstanceAddress';
import { ConsoleButton } from '../InstanceConsole';
import { provisionTemplateUrl } from '../ProvisionButton';
import { InstanceStateChip } from './InstanceStateChip';

/** `resource:default/web-1` → `/catalog/default/resource/web-1`. */
export function catalogPathOf(entityRef: string): string {
  const match = /^([^:]+):([^/]+)\/(.+)$/.exec(entityRef);
  return match ? `/catalog/${match[2]}/${match[1]}/${match[3]}` : '/catalog';
}

/**
 * "My instances": the instances the user may see (their own and their
 * groups'; a provider's also those on their hosts), a page at a time from
 * the backend, with a button for every action the state allows.
 * `?state=` and `?hostId=` narrow the list.
 */
export function MyInstancesPage() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const tableRef = useRef<any>();
  const [params, setParams] = useSearchParams();
  const state = params.get('state') ?? '';
  const hostId = params.get('hostId') ?? '';
  const refresh = () => tableRef.current?.onQueryChange?.();

  // Stable columns: material-table resets its state when they change.
  const columns = useMemo<TableColumn<Instance>[]>(
    () => [
      {
        title: 'Instance',
        field: 'hostname',
        render: i => <InstanceLink instance={i} />,
      },
      {
        title: 'State',
        field: 'state',
        render: i => <InstanceStateChip instance={i} />,
      },
      {
        title: 'Appliance',
        field: 'applianceId',
        render: i => <ApplianceLink applianceId={i.applianceId} />,
      },
      {
        title: 'Host',
        field: 'hostName',
        render: i => <HostLink hostName={i.hostName} />,
      },
      { title: 'Address', render: i => <InstanceAddress instance={i} /> },
      {
        title: 'Size',
        render: i =>
          `${i.size.cpuCores} ${i.size.cpuCores === 1 ? 'core' : 'cores'}, ${i.size.memoryMb.toLocaleString()} MB, ${i.size.storageMb.toLocaleString()} MB disk`,
      },
      { title: 'Uptime', render: i => uptimeOf(i) },
      {
        title: 'Actions',
        render: i => (
          <Box display="flex" flexWrap="wrap" alignItems="flex-start">
            <InstanceActionButtons
              instance={i}
              onChanged={() => tableRef.current?.onQueryChange?.()}
            />
            <ConsoleButton instance={i} />
          </Box>
        ),
      },
    ],
    [],
  );

  const api = useMemo(
    () => hostingApi({ discoveryApi, fetchApi }),
    [discoveryApi, fetchApi],
  );

  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
    setTimeout(refresh);
  };

  return (
    <Content>
      <Box
        display="flex"
        justifyContent="space-between"
        alignItems="flex-end"
        mb={2}
        style={{ gap: 16 }}
      >
        <Box display="flex" alignItems="flex-end" style={{ gap: 16 }}>
          <TextField
            select
            label="State"
            value={state}
            onChange={e => setFilter('state', e.target.value)}
            style={{ minWidth: 180 }}
            inputProps={{ 'aria-label': 'State' }}
          >
            <MenuItem value="">All but deleted</MenuItem>
            {INSTANCE_STATES.map(s => (
              <MenuItem key={s} value={s}>
                {s}
              </MenuItem>
            ))}
          </TextField>
          {hostId && (
            <Typography variant="body2">
              On one host only.{' '}
              <Link to="#" onClick={() => setFilter('hostId', '')}>
                Show all
              </Link>
            </Typography>
          )}
        </Box>
        <LinkButton
          to={provisionTemplateUrl()}
          variant="contained"
          color="primary"
        >
          Provision appliance
        </LinkButton>
      </Box>
      <Table<Instance>
        tableRef={tableRef}
        title="Instances"
        options={{
          search: false,
          paging: true,
          pageSize: 20,
          pageSizeOptions: [20, 50, 100],
          sorting: false,
          padding: 'dense',
        }}
        columns={columns}
        data={query =>
          api
            .listInstances({
              limit: query.pageSize,
              offset: query.page * query.pageSize,
              state: state || undefined,
              hostId: hostId || undefined,
            })
            .then(page => ({
              data: page.items,
              page: query.page,
              totalCount: page.totalCount,
            }))
        }
        emptyContent={
          <Box p={2}>
            No instances here yet:{' '}
            <Link to={provisionTemplateUrl()}>provision an appliance</Link> to
            run one.
          </Box>
        }
      />
    </Content>
  );
}
