import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';

/** `used of total unit` above a bar. */
export function Capacity(props: {
  used: number;
  total: number;
  unit: string;
  label: string;
}) {
  const percent = props.total
    ? Math.min(100, (props.used / props.total) * 100)
    : 0;
  return (
    <Box mb={0.5}>
      <Typography variant="caption" component="div">
        {props.label}: {props.used.toLocaleString()} of{' '}
        {props.total.toLocaleString()} {props.unit}
      </Typography>
      <LinearProgress
        variant="determinate"
        value={percent}
        aria-label={`${props.label} in use`}
      />
    </Box>
  );
}
