import { CopyTextButton } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(1),
    padding: theme.spacing(1, 1, 1, 2),
    borderRadius: theme.shape.borderRadius,
    background: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
  },
  command: {
    flex: 1,
    minWidth: 0,
    margin: 0,
    paddingTop: theme.spacing(0.75),
    fontFamily: 'monospace',
    fontSize: '0.9em',
    // A long command wraps anywhere rather than running off the page.
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
  },
}));

/** A shell command shown whole (it wraps), with a button that copies it. */
export function CopyCommand(props: { command: string; label?: string }) {
  const classes = useStyles();
  return (
    <Box className={classes.root}>
      <pre className={classes.command} aria-label={props.label ?? 'Command'}>
        {props.command}
      </pre>
      <CopyTextButton
        text={props.command}
        tooltipText="Copied"
        aria-label={`Copy ${props.label ?? 'the command'}`}
      />
    </Box>
  );
}
