import { Config } from '@backstage/config';
import { AppliancesConfigError } from '../config/readAppliancesConfig';
import { normalizeOwnerRef } from '../permissions/ownerRef';

/**
 * At zero or below: refuse new provisioning billed to the account (default);
 * or that and, after a grace period, stop its running instances; or nothing.
 */
export type ZeroBalancePolicy =
  'refuse-provisioning' | 'stop-after-grace' | 'none';

/** Whether the policy refuses new provisioning at zero. */
export const refusesProvisioning = (policy: ZeroBalancePolicy) =>
  policy !== 'none';

export type BillingConfig = {
  /** Seconds between billing ticks. */
  frequencySeconds: number;
  /** Seconds between market price recomputations. */
  marketFrequencySeconds: number;
  /** Platform fee in basis points of each charge (1 % = 100). */
  feeBasisPoints: number;
  /** Owners are told when the balance falls below this. */
  lowBalanceThresholdMinor: number;
  zeroBalancePolicy: ZeroBalancePolicy;
  /** 'stop-after-grace': how long an account may stay at zero before its instances stop. */
  zeroBalanceGraceSeconds: number;
  /** Balances given once to these entities' accounts. */
  startingBalances: Array<{ owner: string; amountMinor: number }>;
};

/** Reads `appliances.billing`. */
export function readBillingConfig(root: Config): BillingConfig {
  const c = root.getOptionalConfig('appliances.billing');
  const whole = (key: string, fallback: number, min: number, max: number) => {
    const v = c?.getOptionalNumber(key) ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new AppliancesConfigError(
        `appliances.billing.${key}`,
        `a whole number from ${min} to ${max}`,
      );
    }
    return v;
  };
  const feePercent = c?.getOptionalNumber('platformFeePercent') ?? 0;
  const feeBasisPoints = Math.round(feePercent * 100);
  if (
    !Number.isFinite(feePercent) ||
    feePercent < 0 ||
    feePercent > 100 ||
    Math.abs(feeBasisPoints - feePercent * 100) > 1e-9
  ) {
    throw new AppliancesConfigError(
      'appliances.billing.platformFeePercent',
      'a percentage from 0 to 100 with at most two decimals',
    );
  }
  const policy =
    c?.getOptionalString('zeroBalancePolicy') ?? 'refuse-provisioning';
  if (
    policy !== 'refuse-provisioning' &&
    policy !== 'stop-after-grace' &&
    policy !== 'none'
  ) {
    throw new AppliancesConfigError(
      'appliances.billing.zeroBalancePolicy',
      "'refuse-provisioning', 'stop-after-grace' or 'none'",
    );
  }
  const startingBalances = (
    c?.getOptionalConfigArray('startingBalances') ?? []
  ).map((s, i) => {
    const owner = normalizeOwnerRef(s.getString('owner'));
    const amountMinor = s.getNumber('amountMinor');
    if (!owner || !Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
      throw new AppliancesConfigError(
        `appliances.billing.startingBalances[${i}]`,
        'a user or group entity ref and a positive whole amountMinor',
      );
    }
    return { owner, amountMinor };
  });
  return {
    frequencySeconds: whole('frequencySeconds', 15, 1, 86400),
    marketFrequencySeconds: whole('marketPricesFrequencySeconds', 60, 1, 86400),
    feeBasisPoints,
    lowBalanceThresholdMinor: whole(
      'lowBalanceThresholdMinor',
      0,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    zeroBalancePolicy: policy,
    zeroBalanceGraceSeconds: whole('zeroBalanceGraceSeconds', 3600, 0, 2592000),
    startingBalances,
  };
}
