import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import { describeLedgerLine, LedgerLine } from '../../billing/billingApi';
import { ErrorAlert } from '../ErrorAlert';

/**
 * Asks an admin why a ledger transaction is reversed, then reverses it;
 * closes with `true` once the reversal is booked.
 */
export function ReverseDialog(props: {
  line: LedgerLine;
  reverse: (reason: string) => Promise<unknown>;
  onClose: (reversed: boolean) => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.reverse(reason.trim());
      props.onClose(true);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <Dialog open onClose={() => props.onClose(false)} maxWidth="sm" fullWidth>
      <DialogTitle>Reverse transaction #{props.line.transactionId}</DialogTitle>
      <DialogContent>
        <DialogContentText>
          {describeLedgerLine(props.line)}. A reversal books the opposite of
          every posting of this transaction, on every account it moved, and
          cannot itself be reversed.
        </DialogContentText>
        <TextField
          fullWidth
          multiline
          label="Reason"
          value={reason}
          onChange={e => setReason(e.target.value)}
          inputProps={{ maxLength: 1000, 'aria-label': 'Reason' }}
          helperText="Shown on the reversal's ledger line"
        />
        {!!error && <ErrorAlert error={error} />}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => props.onClose(false)} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={submit}
          disabled={busy || !reason.trim()}
        >
          Reverse transaction
        </Button>
      </DialogActions>
    </Dialog>
  );
}
