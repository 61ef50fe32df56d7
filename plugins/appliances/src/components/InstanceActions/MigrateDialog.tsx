import { useEffect, useState } from 'react';
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
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  Instance,
  InstanceActionResult,
  MigrationTargets,
  hostingApi,
} from '../../hosting/hostingApi';
import { useMoney } from '../../money/useMoney';
import { ErrorAlert } from '../ErrorAlert';
import {
  MigrationTargetList,
  keptPriceLine,
  preferredTarget,
} from './MigrationTargetList';
import { refusalMessage } from './refusalMessage';

/**
 * Asks where to move an instance (a running one moves live): the other hosts of its
 * provider with whether each has room, Tempest's choice picked, and the
 * price it keeps. On confirm sends migrate with the version shown and the
 * host picked, and closes with the backend's answer (nothing when
 * cancelled); a refusal stays open with its reason and `onRefused` lets the
 * caller reload the instance.
 */
export function MigrateDialog(props: {
  instance: Instance;
  onClose: (result?: InstanceActionResult & { hostName: string }) => void;
  onRefused?: () => void;
}) {
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const money = useMoney();
  const { instance, onClose } = props;
  const [targets, setTargets] = useState<MigrationTargets>();
  const [loadError, setLoadError] = useState<unknown>();
  const [hostId, setHostId] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string>();

  useEffect(() => {
    let cancelled = false;
    hostingApi({ discoveryApi, fetchApi })
      .listMigrationTargets(instance.id)
      .then(
        answer => {
          if (cancelled) return;
          setTargets(answer);
          setHostId(preferredTarget(answer.items)?.hostId);
        },
        e => !cancelled && setLoadError(e),
      );
    return () => {
      cancelled = true;
    };
  }, [discoveryApi, fetchApi, instance.id]);

  const chosen = targets?.items.find(t => t.hostId === hostId && t.fits);

  const migrate = async () => {
    if (!chosen) return;
    setBusy(true);
    setRefusal(undefined);
    try {
      const result = await hostingApi({
        discoveryApi,
        fetchApi,
      }).actOnInstance(instance.id, 'migrate', instance.version, {
        hostId: chosen.hostId,
      });
      onClose({ ...result, hostName: chosen.hostName });
    } catch (e) {
      setRefusal(refusalMessage(e));
      setBusy(false);
      props.onRefused?.();
    }
  };

  let body;
  if (loadError) body = <ErrorAlert error={loadError} />;
  else if (!targets)
    body = <Typography>Looking for hosts with room…</Typography>;
  else if (!targets.items.some(t => t.fits))
    body = (
      <>
        <Alert severity="warning">
          Nowhere to move {instance.hostname} now: {targets.summary}
        </Alert>
        <MigrationTargetList
          targets={targets.items}
          onChange={setHostId}
          disabled
        />
      </>
    );
  else
    body = (
      <>
        <MigrationTargetList
          targets={targets.items}
          value={hostId}
          onChange={setHostId}
          disabled={busy}
        />
        <Typography variant="body2" paragraph>
          {keptPriceLine(instance, money)}
        </Typography>
      </>
    );

  return (
    <Dialog open onClose={() => !busy && onClose()} maxWidth="sm" fullWidth>
      <DialogTitle>Move {instance.hostname} to another host</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {instance.hostname} is {instance.state} on{' '}
          {instance.hostName ?? 'its host'}.{' '}
          {instance.state === 'started'
            ? 'Tempest moves it while it runs to the host you pick, another host of the same provider: its memory and disk are copied across, then it pauses for a moment and carries on there with the same address.'
            : `Tempest copies its disk to the host you pick, another host of the same provider, and moves it there; it stays ${instance.state}.`}{' '}
          If a step fails, the move is reverted and it stays where it is.
        </DialogContentText>
        {body}
        {refusal && (
          <Alert severity="warning" role="alert">
            {refusal}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => onClose()} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={migrate}
          disabled={busy || !chosen}
          aria-label={`Move ${instance.hostname}`}
        >
          {busy ? 'Moving…' : `Move${chosen ? ` to ${chosen.hostName}` : ''}`}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
