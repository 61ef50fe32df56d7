import { useState } from 'react';
import {
  Content,
  ContentHeader,
  InfoCard,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import {
  Channel,
  channelManagePermission,
} from '@tempest/backstage-plugin-appliances-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { appliancesApiRef } from '../../api';

function ResultChip(props: { channel: Channel }) {
  const { result } = props.channel.status;
  if (!result)
    return <Chip size="small" label="not fetched yet" variant="outlined" />;
  return (
    <Chip
      size="small"
      label={result}
      color={result === 'failed' ? 'secondary' : 'primary'}
      data-testid={`result-${props.channel.id}`}
    />
  );
}

function ItemErrors(props: { channel: Channel }) {
  const { itemErrors } = props.channel.status;
  if (!itemErrors.length)
    return <Typography style={{ padding: 16 }}>No item errors.</Typography>;
  return (
    <Table
      options={{
        paging: itemErrors.length > 10,
        search: false,
        toolbar: false,
        padding: 'dense',
      }}
      columns={[
        { title: 'Item', field: 'item' },
        { title: 'Field', field: 'field' },
        { title: 'What was expected', field: 'message' },
      ]}
      data={itemErrors}
    />
  );
}

function AddChannelForm(props: { onAdded: () => void }) {
  const api = useApi(appliancesApiRef);
  const [form, setForm] = useState({
    id: '',
    url: '',
    owner: '',
    trustedKey: '',
    refreshMinutes: '60',
  });
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.createChannel({
        id: form.id.trim(),
        url: form.url.trim(),
        owner: form.owner.trim(),
        trustedKeys: form.trustedKey.trim() ? [form.trustedKey.trim()] : [],
        refreshMinutes: Number(form.refreshMinutes) || undefined,
      });
      setForm({
        id: '',
        url: '',
        owner: '',
        trustedKey: '',
        refreshMinutes: '60',
      });
      props.onAdded();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <InfoCard title="Subscribe a channel">
      <Grid container spacing={2}>
        <Grid item xs={12} sm={3}>
          <TextField
            fullWidth
            id="channel-id"
            label="Id"
            value={form.id}
            onChange={set('id')}
            helperText="lower-case letters, digits, dashes"
          />
        </Grid>
        <Grid item xs={12} sm={5}>
          <TextField
            fullWidth
            id="channel-url"
            label="Feed URL"
            value={form.url}
            onChange={set('url')}
            helperText="RSS 2.0 feed, http or https"
          />
        </Grid>
        <Grid item xs={12} sm={3}>
          <TextField
            fullWidth
            id="channel-owner"
            label="Owner"
            value={form.owner}
            onChange={set('owner')}
            helperText="e.g. group:default/platform"
          />
        </Grid>
        <Grid item xs={12} sm={1}>
          <TextField
            fullWidth
            id="channel-refresh-minutes"
            label="Minutes"
            value={form.refreshMinutes}
            onChange={set('refreshMinutes')}
          />
        </Grid>
        <Grid item xs={12}>
          <TextField
            fullWidth
            multiline
            minRows={2}
            id="channel-trusted-key"
            label="Trusted OpenPGP public key (armored)"
            value={form.trustedKey}
            onChange={set('trustedKey')}
            helperText="Without a trusted key, the channel's appliances are never provisioned unless appliances.allowUnsigned is set."
          />
        </Grid>
        <Grid item xs={12}>
          <Button
            variant="contained"
            color="primary"
            disabled={busy || !form.id || !form.url || !form.owner}
            onClick={submit}
          >
            Subscribe
          </Button>
        </Grid>
        {error && (
          <Grid item xs={12}>
            <ResponseErrorPanel error={error} />
          </Grid>
        )}
      </Grid>
    </InfoCard>
  );
}

/** Channels with their fetch status and per-item errors; admins refresh, add and remove them. */
export function ChannelsView() {
  const api = useApi(appliancesApiRef);
  const { allowed: isAdmin } = usePermission({
    permission: channelManagePermission,
  });
  const channels = useAsyncRetry(() => api.listChannels(), [api]);
  const [actionError, setActionError] = useState<Error>();
  const [busy, setBusy] = useState<string>();

  const act = async (id: string, action: () => Promise<unknown>) => {
    setBusy(id);
    setActionError(undefined);
    try {
      await action();
    } catch (e) {
      setActionError(e as Error);
    } finally {
      setBusy(undefined);
      channels.retry();
    }
  };

  const columns: TableColumn<Channel>[] = [
    {
      title: 'Channel',
      field: 'id',
      render: c => (
        <>
          <strong>{c.id}</strong>
          <div style={{ opacity: 0.7 }}>{c.status.title}</div>
        </>
      ),
    },
    { title: 'Feed', field: 'url' },
    { title: 'Owner', field: 'owner' },
    {
      title: 'Keys',
      render: c =>
        c.trustedKeys.length
          ? `${c.trustedKeys.length} trusted`
          : 'none: unsigned',
    },
    {
      title: 'Last fetch',
      render: c =>
        c.status.lastFetchAt
          ? new Date(c.status.lastFetchAt).toLocaleString()
          : '—',
    },
    { title: 'Result', render: c => <ResultChip channel={c} /> },
    { title: 'Error', render: c => c.status.error ?? '' },
    {
      title: 'Item errors',
      render: c => c.status.itemErrors.length,
      type: 'numeric',
    },
  ];
  if (isAdmin) {
    columns.push({
      title: 'Actions',
      render: c => (
        <>
          <Button
            size="small"
            disabled={busy === c.id}
            onClick={() =>
              act(c.id, () => api.refreshChannel(c.id, { force: true }))
            }
          >
            Refresh
          </Button>
          {c.source === 'api' && (
            <Button
              size="small"
              disabled={busy === c.id}
              onClick={() => act(c.id, () => api.deleteChannel(c.id))}
            >
              Remove
            </Button>
          )}
        </>
      ),
    });
  }

  return (
    <Grid container spacing={3}>
      {actionError && (
        <Grid item xs={12}>
          <ResponseErrorPanel error={actionError} />
        </Grid>
      )}
      <Grid item xs={12}>
        {channels.error ? (
          <ResponseErrorPanel error={channels.error} />
        ) : (
          <Table<Channel>
            title="Channels"
            isLoading={channels.loading}
            options={{ paging: false, search: false, padding: 'dense' }}
            columns={columns}
            data={channels.value ?? []}
            detailPanel={[
              {
                tooltip: 'Item errors',
                render: ({ rowData }) => (
                  <ItemErrors channel={rowData as Channel} />
                ),
              },
            ]}
            emptyContent={
              <div style={{ padding: 16 }}>No channels subscribed yet.</div>
            }
          />
        )}
      </Grid>
      {isAdmin && (
        <Grid item xs={12}>
          <AddChannelForm onAdded={channels.retry} />
        </Grid>
      )}
    </Grid>
  );
}

export function ChannelsPage() {
  return (
    <Content>
      <ContentHeader title="Appliance channels" />
      <ChannelsView />
    </Content>
  );
}
