import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Link } from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Alert from '@material-ui/lab/Alert';
import { Instance, InstanceAction, hostingApi } from '../../hosting/hostingApi';
import { MigrateDialog } from './MigrateDialog';
import { refusalMessage } from './refusalMessage';

const LABELS: Record<string, string> = {
  start: 'Start',
  stop: 'Stop',
  suspend: 'Suspend',
  resume: 'Resume',
  delete: 'Delete',
  retry: 'Retry',
  migrate: 'Migrate',
};

/**
 * A button per action the instance's state allows; each sends the version
 * shown, so an action on a stale view is refused (409) and explained.
 * Deleting asks first; migrating asks where to (MigrateDialog), then opens
 * the move's operation page; a retry says where to follow the provisioning.
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
  const [retried, setRetried] = useState<string>();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [choosingHost, setChoosingHost] = useState(false);
  const navigate = useNavigate();
  const actions = (instance.allowedActions ?? []) as InstanceAction[];

  async function act(action: InstanceAction) {
    setConfirmingDelete(false);
    setBusy(action);
    setError(undefined);
    setRetried(undefined);
    try {
      const result = await hostingApi({ discoveryApi, fetchApi }).actOnInstance(
        instance.id,
        action,
        instance.version,
      );
      if (action === 'retry' && result.operationId) {
        setRetried(result.operationId);
      }
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
          {LABELS[instance.pendingAction] ?? instance.pendingAction} in
          progress…
        </Box>
      )}
      {actions.map(action => (
        <Box component="span" mr={1} key={action}>
          <Button
            size={props.size ?? 'small'}
            variant="outlined"
            color={action === 'delete' ? 'secondary' : 'primary'}
            disabled={Boolean(busy)}
            onClick={() => {
              if (action === 'delete') setConfirmingDelete(true);
              else if (action === 'migrate') {
                setError(undefined);
                setChoosingHost(true);
              } else act(action);
            }}
            aria-label={`${LABELS[action] ?? action} ${instance.hostname}`}
          >
            {busy === action
              ? `${LABELS[action] ?? action}…`
              : (LABELS[action] ?? action)}
          </Button>
        </Box>
      ))}
      {retried && (
        <Box mt={1}>
          <Alert severity="info" onClose={() => setRetried(undefined)}>
            Provisioning {instance.hostname} again from the step that failed:{' '}
            <Link to={`/appliances/operations/${retried}`}>follow it</Link>.
          </Alert>
        </Box>
      )}
      {error && (
        <Box mt={1}>
          <Alert severity="warning" onClose={() => setError(undefined)}>
            {error}
          </Alert>
        </Box>
      )}
      {choosingHost && (
        <MigrateDialog
          instance={instance}
          onRefused={() => onChanged()}
          onClose={result => {
            setChoosingHost(false);
            if (!result) return;
            // The move runs on: follow it on its operation page.
            if (result.operationId)
              navigate(`/appliances/operations/${result.operationId}`);
            else onChanged(result.instance);
          }}
        />
      )}
      <Dialog
        open={confirmingDelete}
        onClose={() => setConfirmingDelete(false)}
      >
        <DialogTitle>Delete {instance.hostname}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            Its domain is removed from the host and its disk is deleted. This
            cannot be undone.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirmingDelete(false)}>Cancel</Button>
          <Button
            color="secondary"
            variant="contained"
            onClick={() => act('delete')}
            aria-label={`Really delete ${instance.hostname}`}
          >
            Delete
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
