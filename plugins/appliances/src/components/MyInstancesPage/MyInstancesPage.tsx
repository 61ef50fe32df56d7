import { useRef, useState } from 'react';
import {
  Content,
  ContentHeader,
  Link,
  Table,
  TableColumn,
} from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { INSTANCE_STATES } from '@tempest/backstage-plugin-appliances-common';
import { Instance, hostingApi, uptimeOf } from '../../hosting/hostingApi';
import { InstanceActionButtons } from '../InstanceActions';
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
 */
export function MyInstancesPage() {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const api = hostingApi({ discoveryApi, fetchApi });
  const tableRef = useRef<any>();
  const [state, setState] = useState('');
  const refresh = () => tableRef.current?.onQueryChange?.();

  const columns: TableColumn<Instance>[] = [
    {
      title: 'Instance',
      field: 'hostname',
      render: i => <Link to={catalogPathOf(i.entityRef)}>{i.hostname}</Link>,
    },
    {
      title: 'State',
      field: 'state',
      render: i => <InstanceStateChip instance={i} />,
    },
    { title: 'Appliance', field: 'applianceId' },
    { title: 'Host', field: 'hostName', render: i => i.hostName ?? '—' },
    { title: 'Uptime', render: i => uptimeOf(i) },
    { title: 'Version', field: 'version', type: 'numeric' },
    {
      title: 'Actions',
      render: i => <InstanceActionButtons instance={i} onChanged={refresh} />,
    },
  ];

  return (
    <Content>
      <ContentHeader title="My instances">
        <TextField
          select
          label="State"
          value={state}
          onChange={e => {
            setState(e.target.value);
            setTimeout(refresh);
          }}
          style={{ minWidth: 160 }}
        >
          <MenuItem value="">All but deleted</MenuItem>
          {INSTANCE_STATES.map(s => (
            <MenuItem key={s} value={s}>
              {s}
            </MenuItem>
          ))}
        </TextField>
      </ContentHeader>
      <Table<Instance>
        tableRef={tableRef}
        title="Instances"
        options={{
          search: false,
          paging: true,
          pageSize: 20,
          pageSizeOptions: [20, 50, 100],
          sorting: false,
        }}
        columns={columns}
        data={query =>
          api
            .listInstances({
              limit: query.pageSize,
              offset: query.page * query.pageSize,
              state: state || undefined,
            })
            .then(page => ({
              data: page.items,
              page: query.page,
              totalCount: page.totalCount,
            }))
        }
        emptyContent={
          <div style={{ padding: 16 }}>
            No instances yet: provision one from the Appliances page.
          </div>
        }
      />
    </Content>
  );
}
