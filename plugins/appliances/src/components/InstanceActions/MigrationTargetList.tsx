import Box from '@material-ui/core/Box';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Radio from '@material-ui/core/Radio';
import RadioGroup from '@material-ui/core/RadioGroup';
import Typography from '@material-ui/core/Typography';
import type { Instance, MigrationTarget } from '../../hosting/hostingApi';

/** Tempest's choice when it fits, else the first host that fits. */
export function preferredTarget(
  targets: MigrationTarget[],
): MigrationTarget | undefined {
  return (
    targets.find(t => t.recommended && t.fits) ?? targets.find(t => t.fits)
  );
}

/** `web-1 keeps its price: €0.14 per hour, locked when it was placed.` */
export function keptPriceLine(
  instance: Pick<Instance, 'hostname' | 'price'>,
  money: { price(amountMinor: number, periodSeconds: number): string },
): string {
  const perHour = instance.price?.pricePerHourMinor;
  return perHour === undefined
    ? `${instance.hostname} keeps the prices locked when it was placed.`
    : `${instance.hostname} keeps its price: ${money.price(perHour, 3600)}, locked when it was placed.`;
}

/**
 * The hosts an instance may move to, one radio each: those without room are
 * shown with the reason and cannot be picked; Tempest's choice is marked.
 */
export function MigrationTargetList(props: {
  targets: MigrationTarget[];
  value?: string;
  onChange: (hostId: string) => void;
  disabled?: boolean;
  label?: string;
}) {
  return (
    <RadioGroup
      aria-label={props.label ?? 'Destination host'}
      value={props.value ?? ''}
      onChange={e => props.onChange(e.target.value)}
    >
      {props.targets.map(target => (
        <FormControlLabel
          key={target.hostId}
          value={target.hostId}
          disabled={props.disabled || !target.fits}
          control={<Radio color="primary" />}
          label={
            <Box py={0.5}>
              <Typography variant="body1">
                {target.hostName}
                {target.recommended ? " (Tempest's choice)" : ''}
              </Typography>
              <Typography variant="caption" color="textSecondary">
                {target.detail}
              </Typography>
            </Box>
          }
        />
      ))}
    </RadioGroup>
  );
}
