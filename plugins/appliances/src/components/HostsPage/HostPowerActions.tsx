import { useState } from 'react';
import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import { Host, hostingApi } from '../../hosting/hostingApi';

export type HostPowerAction = 'on' | 'off' | 'cycle';

const BUTTONS: Record<HostPowerAction, string> = {
  on: 'Power on',
  off: 'Power off',
  cycle: 'Power cycle',
};

/** The power buttons of a host in the table; the dialog lives outside it. */
export function HostPowerActions(props: {
  host: Host;
  onPower: (host: Host, action: HostPowerAction) => void;
}) {
  const { host } = props;
  const button = (action: HostPowerAction) => (
    <Button
      size="small"
      color="primary"
      disabled={!host.bmc?.hasCredentials}
      onClick={() => props.onPower(host, action)}
      aria-label={`${BUTTONS[action]} ${host.name}`}
    >
      {BUTTONS[action]}
    </Button>
  );
  return (
    <Box display="flex" flexDirection="column" alignItems="flex-start">
      {host.power.state !== 'on' && button('on')}
      {host.power.state !== 'off' && button('off')}
      {host.power.state !== 'off' && button('cycle')}
    </Box>
  );
}

/**
 * Powers a host through its BMC. On goes at once; off and cycle ask first,
 * and with instances on the host need force: running ones are stopped
 * cleanly before the power goes.
 */
export function HostPowerDialog(props: {
  host: Host;
  action: HostPowerAction;
  instances: number;
  onClose: () => void;
  onError: (error: unknown) => void;
}) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const { host, action } = props;
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);

  const run = async () => {
    setBusy(true);
    props.onError(undefined);
    try {
      await hostingApi({ discoveryApi, fetchApi }).powerHost(
        host.id,
        action,
        force,
      );
    } catch (e) {
      props.onError(e);
    } finally {
      setBusy(false);
      props.onClose();
    }
  };

  return (
    <Dialog open onClose={props.onClose}>
      <DialogTitle>
        {BUTTONS[action]} {host.name}?
      </DialogTitle>
      <DialogContent>
        <DialogContentText>
          {action === 'on' &&
            "Its BMC switches it on; placement uses it once its agent's heartbeat is back."}
          {action === 'off' &&
            'The operating system is asked to shut down; if it has not within the timeout, power is cut.'}
          {action === 'cycle' && 'Power is cut and restored.'}
          {action !== 'on' &&
            props.instances > 0 &&
            ` ${host.name} holds ${props.instances} instance${props.instances === 1 ? '' : 's'}: running ones are stopped cleanly first, and only if you force it.`}
        </DialogContentText>
        {action !== 'on' && props.instances > 0 && (
          <FormControlLabel
            control={
              <Checkbox
                checked={force}
                onChange={e => setForce(e.target.checked)}
                color="primary"
              />
            }
            label="Stop its instances and go ahead"
          />
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={busy}
          onClick={run}
        >
          {BUTTONS[action]}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
