import { useEffect, useState } from 'react';
import { Progress } from '@backstage/core-components';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import { EnrolmentToken, Host, hostingApi } from '../../hosting/hostingApi';
import { CopyCommand } from '../CopyCommand';
import { ErrorAlert } from '../ErrorAlert';

/** Issues a new one-time enrolment token for a host and shows the command that uses it. */
export function EnrolmentDialog(props: { host: Host; onClose: () => void }) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const [token, setToken] = useState<EnrolmentToken>();
  const [error, setError] = useState<unknown>();
  const { host } = props;

  useEffect(() => {
    let cancelled = false;
    hostingApi({ discoveryApi, fetchApi })
      .renewEnrolmentToken(host.id)
      .then(
        t => !cancelled && setToken(t),
        e => !cancelled && setError(e),
      );
    return () => {
      cancelled = true;
    };
  }, [discoveryApi, fetchApi, host.id]);

  return (
    <Dialog open onClose={props.onClose} maxWidth="md" fullWidth>
      <DialogTitle>Enrol {host.name}</DialogTitle>
      <DialogContent>
        {!token && !error && <Progress />}
        {error !== undefined && <ErrorAlert error={error} />}
        {token && (
          <>
            <DialogContentText>
              Run this on {host.name} as the user that runs tempest-agent. It
              works once, until {new Date(token.expiresAt).toLocaleString()};
              any earlier token for this host no longer works.
            </DialogContentText>
            <CopyCommand command={token.command} label="enrolment command" />
          </>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} color="primary">
          Done
        </Button>
      </DialogActions>
    </Dialog>
  );
}
