import { useEffect, useState } from 'react';
import {
  Link,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import useAsync from 'react-use/esm/useAsync';
import type { Appliance } from '@tempest/backstage-plugin-appliances-common';
import { appliancesApiRef } from '../../api';
import { SignatureChip } from '../SignatureChip';

export function formatMemory(kib: number): string {
  return kib >= 1048576
    ? `${(kib / 1048576).toFixed(kib % 1048576 ? 1 : 0)} GiB`
    : `${Math.round(kib / 1024)} MiB`;
}

// Seven columns that fit beside the sidebar at 1440 px; the description wraps under the label.
const columns: TableColumn<Appliance>[] = [
  {
    title: 'Appliance',
    field: 'label',
    width: '34%',
    render: a => (
      <>
        <Link to={encodeURIComponent(a.id)}>{a.label}</Link>
        <div style={{ opacity: 0.7, fontSize: '0.85em' }}>{a.description}</div>
      </>
    ),
  },
  {
    title: 'Version',
    field: 'version',
    render: a => (
      <>
        {a.version} {a.latest && <Chip size="small" label="newest" />}
      </>
    ),
  },
  { title: 'Provides', field: 'provides' },
  {
    title: 'Hardware',
    render: a =>
      `${a.hardware.cpus} ${a.hardware.cpus === 1 ? 'CPU' : 'CPUs'}, ${formatMemory(a.hardware.memoryKib)}, ${a.hardware.ostype}`,
  },
  { title: 'Channel', field: 'channel' },
  {
    title: 'Signature',
    render: a => (
      <SignatureChip
        state={a.signature.state}
        provisionable={a.signature.provisionable}
      />
    ),
  },
  {
    title: 'Needs',
    render: a =>
      a.unresolvedDependencies.length ? (
        <span style={{ color: '#c62828' }}>
          unresolved: {a.unresolvedDependencies.join(', ')}
        </span>
      ) : (
        a.dependencies.map(d => d.name).join(', ') || '—'
      ),
  },
];

const PAGE_SIZE = 20;

/** Search, filters and a paged table of every subscribed appliance. */
export function ApplianceBrowser() {
  const api = useApi(appliancesApiRef);
  const [q, setQ] = useState('');
  const [debouncedQ, setDebouncedQ] = useState('');
  const [ostype, setOstype] = useState('');
  const [provides, setProvides] = useState('');
  const [channel, setChannel] = useState('');
  const [page, setPage] = useState(0);

  useEffect(() => {
    const timer = setTimeout(() => setDebouncedQ(q.trim()), 250);
    return () => clearTimeout(timer);
  }, [q]);
  useEffect(() => setPage(0), [debouncedQ, ostype, provides, channel]);

  const facets = useAsync(() => api.getApplianceFacets(), [api]);
  const result = useAsync(
    () =>
      api.listAppliances({
        q: debouncedQ || undefined,
        ostype: ostype || undefined,
        provides: provides || undefined,
        channel: channel || undefined,
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
      }),
    [api, debouncedQ, ostype, provides, channel, page],
  );

  const filter = (
    label: string,
    value: string,
    set: (v: string) => void,
    options: string[] = [],
  ) => (
    <Grid item xs={12} sm={4} md={2}>
      <TextField
        select
        fullWidth
        label={label}
        value={value}
        onChange={e => set(e.target.value)}
        inputProps={{ 'aria-label': label }}
      >
        <MenuItem value="">Any</MenuItem>
        {options.map(o => (
          <MenuItem key={o} value={o}>
            {o}
          </MenuItem>
        ))}
      </TextField>
    </Grid>
  );

  return (
    <Grid container spacing={2}>
      <Grid item xs={12} md={6}>
        <TextField
          fullWidth
          label="Search appliances"
          placeholder="label, description, service"
          value={q}
          onChange={e => setQ(e.target.value)}
          inputProps={{ 'aria-label': 'Search appliances' }}
        />
      </Grid>
      {filter('OS type', ostype, setOstype, facets.value?.ostypes)}
      {filter('Provides', provides, setProvides, facets.value?.provides)}
      {filter('Channel', channel, setChannel, facets.value?.channels)}
      <Grid item xs={12}>
        {result.error ? (
          <ResponseErrorPanel error={result.error} />
        ) : (
          <Table<Appliance>
            title={`Appliances${result.value ? ` (${result.value.totalCount})` : ''}`}
            options={{
              paging: true,
              pageSize: PAGE_SIZE,
              pageSizeOptions: [PAGE_SIZE],
              search: false,
              padding: 'dense',
              draggable: false,
              emptyRowsWhenPaging: false,
            }}
            isLoading={result.loading}
            columns={columns}
            data={result.value?.items ?? []}
            page={page}
            totalCount={result.value?.totalCount ?? 0}
            onPageChange={setPage}
            emptyContent={
              <div style={{ padding: 16 }}>No appliance matches.</div>
            }
          />
        )}
      </Grid>
    </Grid>
  );
}
