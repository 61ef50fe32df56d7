import Alert from '@material-ui/lab/Alert';
import { errorSentence } from '../../errors/errorSentence';

/** A failed call as a sentence a person can act on (never a stack trace). */
export function ErrorAlert(props: {
  error: unknown;
  severity?: 'error' | 'warning';
  onClose?: () => void;
}) {
  return (
    <Alert
      severity={props.severity ?? 'error'}
      onClose={props.onClose}
      role="alert"
    >
      {errorSentence(props.error)}
    </Alert>
  );
}
