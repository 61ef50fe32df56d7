import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import { Instance } from '../../hosting/hostingApi';

const COLORS: Record<string, 'primary' | 'secondary' | 'default'> = {
  started: 'primary',
  error: 'secondary',
};

/** The state, with the last error (why an action was refused or what broke) on hover. */
export function InstanceStateChip(props: {
  instance: Pick<Instance, 'state' | 'error' | 'pendingAction'>;
}) {
  const { state, error, pendingAction } = props.instance;
  const chip = (
    <Chip
      size="small"
      label={pendingAction ? `${state} (${pendingAction}…)` : state}
      color={COLORS[state] ?? 'default'}
    />
  );
  return error ? <Tooltip title={error}>{chip}</Tooltip> : chip;
}
