import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import type { SignatureState } from '@tempest/backstage-plugin-appliances-common';

const EXPLAIN: Record<SignatureState, string> = {
  verified:
    "The image's detached signature was verified with one of the channel's trusted keys.",
  'trusted-signer':
    'Signed by a trusted key; the image itself is verified when a host installs it.',
  untrusted: 'Signed by a key the channel does not trust.',
  invalid: 'The signature does not match the image.',
  unsigned: 'No signature, or the channel has no trusted keys.',
  unavailable: 'The signature could not be fetched at the last refresh.',
};

/** The signature state of an appliance, with what it means on hover. */
export function SignatureChip(props: {
  state: SignatureState;
  provisionable?: boolean;
}) {
  const good = props.state === 'verified' || props.state === 'trusted-signer';
  return (
    <Tooltip title={EXPLAIN[props.state]}>
      <Chip
        size="small"
        label={props.state}
        color={good ? 'primary' : 'default'}
        variant={good ? 'default' : 'outlined'}
        data-testid={`signature-${props.state}`}
      />
    </Tooltip>
  );
}

export function explainSignature(state: SignatureState): string {
  return EXPLAIN[state];
}
