import { InputError, NotAllowedError } from '@backstage/errors';
import {
  currencyMinorDigits,
  minorToDecimalString,
} from '@tempest/backstage-plugin-appliances-common';
import { normalizeOwnerRef } from '../permissions/ownerRef';
import { AccountStore } from './AccountStore';
import { BillingConfig, refusesProvisioning } from './readBillingConfig';

/** Who provisions: their user ref and the refs they own through (their groups). */
export type Requester = { principalRef: string; ownershipRefs: string[] };

/**
 * The cost centers a requester may bill: their groups first (teams pay, as
 * chargeback in a developer portal), then their own user.
 */
export function costCentersOf(requester: Requester): string[] {
  const groups = requester.ownershipRefs.filter(r => r.startsWith('group:'));
  const user = requester.principalRef.startsWith('user:')
    ? [requester.principalRef]
    : [];
  return [...new Set([...groups, ...user])];
}

/**
 * Picks the cost center of a new instance (the requested one, which must be
 * the requester's, or their first group) and applies the zero-balance
 * policy to its account. Returns the cost center's entity ref.
 */
export async function admitProvisioning(
  accounts: AccountStore,
  config: BillingConfig,
  requester: Requester,
  requested?: string,
): Promise<string> {
  const allowed = costCentersOf(requester);
  let costCenter: string | undefined = allowed[0];
  if (requested !== undefined) {
    costCenter = normalizeOwnerRef(requested);
    if (!costCenter || !allowed.includes(costCenter)) {
      throw new InputError(
        `You can bill your own user or one of your groups (${allowed.join(', ') || 'none'}), not '${requested}'`,
      );
    }
  }
  if (!costCenter) {
    throw new InputError(
      'Only a user with a user or group entity can provision',
    );
  }
  if (refusesProvisioning(config.zeroBalancePolicy)) {
    const account = await accounts.findByOwner(costCenter);
    // An account that has never been charged or topped up does not exist yet.
    if (account && account.balanceMinor <= 0) {
      const balance = minorToDecimalString(
        account.balanceMinor,
        currencyMinorDigits(account.currency),
      );
      throw new NotAllowedError(
        `The account of ${costCenter} has a balance of ${balance} ${account.currency}; ask an admin to top it up, or bill another of your groups`,
      );
    }
  }
  return costCenter;
}
