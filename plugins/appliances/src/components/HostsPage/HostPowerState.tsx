import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import { Host, formatDuration } from '../../hosting/hostingApi';

const ago = (at?: string) =>
  at
    ? `${formatDuration(Math.max(0, (Date.now() - Date.parse(at)) / 1000))} ago`
    : 'never';

const COLOURS: Record<string, 'primary' | 'secondary' | 'default'> = {
  on: 'primary',
  off: 'default',
  unknown: 'secondary',
};

/** The power column: on, off or unknown, Watts now, and what is wrong if anything. */
export function HostPowerState(props: { host: Host }) {
  const { power, bmc } = props.host;
  if (!bmc?.hasCredentials)
    return (
      <Box maxWidth={220}>
        <Chip size="small" label="no BMC" />
        <Typography variant="caption" component="div" color="textSecondary">
          Tempest does not power this host
        </Typography>
      </Box>
    );
  return (
    <Box maxWidth={220}>
      <Chip
        size="small"
        label={`power ${power.state}`}
        color={COLOURS[power.state]}
      />
      <Typography variant="caption" component="div" color="textSecondary">
        {power.watts !== undefined
          ? `${power.watts} W, read ${ago(power.readAt)}`
          : 'no reading yet'}
      </Typography>
      {power.bmcFault && (
        <Typography variant="caption" component="div" color="error">
          BMC fault: {power.bmcFault}
        </Typography>
      )}
      {power.agentSilentSince && (
        <Typography variant="caption" component="div" color="error">
          Powered on but its agent is silent since{' '}
          {new Date(power.agentSilentSince).toLocaleTimeString()}
        </Typography>
      )}
    </Box>
  );
}
