import { useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import Box from '@material-ui/core/Box';
import Alert from '@material-ui/lab/Alert';
import {
  Instance,
  InstanceAction,
  InstanceActionRefusal,
  hostingApi,
} from '../../hosting/hostingApi';

const LABELS: Record<string, string> = {
  start: 'Start',
  stop: 'Stop',
  suspend: 'Suspend',
  resume: 'Resume',
  delete: 'Delete',
  retry: 'Retry',
};

/** What to tell the user when an action was refused or failed. */
export function refusalMessage(error: any): string {
  const body = error?.body as Partial<InstanceActionRefusal> | undefined;
  const message = body?.error?.message ?? error?.message ?? String(error);
  if (body?.reason === 'stale-version') {
    return `Someone changed this instance since you loaded it: it is now ${body.currentState} (version ${body.currentVersion}). The list has been refreshed; check and try again.`;
  }
  if (body?.reason === 'forbidden-action') {
    const allowed = body.allowedActions?.join(', ') || 'nothing';
    return `${message}. It is ${body.currentState}; you may ${allowed}.`;
  }
  return message;
}

/**
 * A button per action the instance's state allows; each sends the version
 * shown, so an action on a stale view is refused (409) and explained.
 */
export function InstanceActionButtons(props: {
  instance: Instance;
  onChanged: (instance?: Instance) => void;
  size?: 'small' | 'medium';
}) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const { instance, onChanged } = props;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const actions = (instance.allowedActions ?? []) as InstanceAction[];

  async function act(action: InstanceAction) {
    // Deleting removes the disk: the first click asks, the second deletes.
    if (action === 'delete' && !confirmingDelete) {
      setConfirmingDelete(true);
      return;
    }
    setConfirmingDelete(false);
    setBusy(action);
    setError(undefined);
    try {
      const result = await hostingApi({ discoveryApi, fetchApi }).actOnInstance(
        instance.id,
        action,
        instance.version,
      );
      onChanged(result.instance);
    } catch (e) {
      setError(refusalMessage(e));
      onChanged();
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <Box>
      {instance.pendingAction && (
        <Box component="span" mr={1}>
          {instance.pendingAction} in progress…
        </Box>
      )}
      {actions.map(action => (
        <Box component="span" mr={1} key={action}>
          <Button
            size={props.size ?? 'small'}
            variant="outlined"
            color={action === 'delete' ? 'secondary' : 'primary'}
            disabled={Boolean(busy)}
            onClick={() => act(action)}
            aria-label={`${LABELS[action] ?? action} ${instance.hostname}`}
          >
            {busy === action && `${LABELS[action] ?? action}…`}
            {busy !== action &&
              action === 'delete' &&
              confirmingDelete &&
              'Really delete? Its disk goes too'}
            {busy !== action &&
              !(action === 'delete' && confirmingDelete) &&
              (LABELS[action] ?? action)}
          </Button>
        </Box>
      ))}
      {error && (
        <Box mt={1}>
          <Alert severity="warning" onClose={() => setError(undefined)}>
            {error}
          </Alert>
        </Box>
      )}
    </Box>
  );
}
