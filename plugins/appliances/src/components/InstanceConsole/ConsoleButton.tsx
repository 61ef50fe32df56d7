import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Tab from '@material-ui/core/Tab';
import Tabs from '@material-ui/core/Tabs';
import Typography from '@material-ui/core/Typography';
import { Instance } from '../../hosting/hostingApi';
import { ConsoleDisplay } from './ConsoleDisplay';
import { SerialLog } from './SerialLog';

/** States with a display to open, and states whose domain keeps a serial log. */
const WITH_DISPLAY = ['started', 'suspended'];
const WITH_LOG = ['started', 'suspended', 'stopped', 'stored'];

/**
 * "Console": a dialog with the instance's display (noVNC) and its serial
 * log. Shown on instances that are on a host; the backend decides who may
 * open it (the owner and admins).
 */
export function ConsoleButton(props: {
  instance: Instance;
  size?: 'small' | 'medium';
}) {
  const { instance } = props;
  const [open, setOpen] = useState(false);
  const hasDisplay = WITH_DISPLAY.includes(instance.state);
  const [tab, setTab] = useState<'display' | 'log'>('display');
  if (!WITH_LOG.includes(instance.state) || !instance.hostId) return null;
  const shown = hasDisplay ? tab : 'log';
  return (
    <>
      <Button
        size={props.size ?? 'small'}
        variant="outlined"
        onClick={() => setOpen(true)}
        aria-label={`Console of ${instance.hostname}`}
        style={{ whiteSpace: 'nowrap' }}
      >
        Console
      </Button>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        fullWidth
        maxWidth="lg"
        aria-labelledby={`console-title-${instance.id}`}
      >
        <DialogTitle id={`console-title-${instance.id}`}>
          Console of {instance.hostname}
        </DialogTitle>
        <DialogContent>
          <Tabs
            value={shown}
            onChange={(_e, value) => setTab(value)}
            indicatorColor="primary"
          >
            <Tab label="Display" value="display" disabled={!hasDisplay} />
            <Tab label="Serial log" value="log" />
          </Tabs>
          <Box mt={2}>
            {!hasDisplay && (
              <Typography variant="body2" paragraph>
                {instance.hostname} is {instance.state}: its display opens while
                it is started or suspended.
              </Typography>
            )}
            {open && shown === 'display' && (
              <ConsoleDisplay instance={instance} />
            )}
            {open && shown === 'log' && <SerialLog instance={instance} />}
          </Box>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Close</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
