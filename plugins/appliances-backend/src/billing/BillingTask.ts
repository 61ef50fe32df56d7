import { Knex } from 'knex';
import { AccountStore, PLATFORM_FEES_OWNER } from './AccountStore';
import { SegmentFeed } from './SegmentFeed';
import { ChargeOptions, chargeDuePeriods } from './chargeDuePeriods';

export type BillingTickResult = {
  instancesRead: number;
  charged: number;
  /** Accounts that fell below the low-balance threshold in this tick. */
  newlyLow: string[];
  /** Milliseconds spent reading history, charging, and checking balances. */
  timings: { ingestMs: number; chargeMs: number; balancesMs: number };
};

/**
 * One billing tick, as Virtuoso's storageupdate and runningupdate daemons:
 * read the instances' new history into segments, charge every due period
 * once, and mark accounts that fell below the threshold. Safe to run on
 * several replicas at once or to stop anywhere: the database decides.
 */
export class BillingTask {
  private readonly feed: SegmentFeed;

  constructor(
    private readonly db: Knex,
    private readonly accounts: AccountStore,
    private readonly options: {
      feeBasisPoints: number;
      lowBalanceThresholdMinor: number;
      batchSize?: number;
      between?: ChargeOptions['between'];
    },
  ) {
    this.feed = new SegmentFeed(db, accounts);
  }

  async tick(now: number): Promise<BillingTickResult> {
    const t0 = performance.now();
    const instancesRead = await this.feed.ingest(now);
    const t1 = performance.now();
    const platform = this.options.feeBasisPoints
      ? await this.accounts.ensure(PLATFORM_FEES_OWNER)
      : undefined;
    const { charged } = await chargeDuePeriods(this.db, {
      now,
      feeBasisPoints: this.options.feeBasisPoints,
      platformAccountId: platform?.id,
      batchSize: this.options.batchSize,
      between: this.options.between,
    });
    const t2 = performance.now();
    const newlyLow = await this.markLowBalances(now);
    const timings = {
      ingestMs: t1 - t0,
      chargeMs: t2 - t1,
      balancesMs: performance.now() - t2,
    };
    return { instancesRead, charged, newlyLow, timings };
  }

  /** Sets low_balance_since_ms once when a paying entity's balance falls below the threshold; clears it above. */
  private async markLowBalances(now: number): Promise<string[]> {
    const threshold = this.options.lowBalanceThresholdMinor;
    const entities = (q: Knex.QueryBuilder) =>
      q.where(w =>
        w.where('owner', 'like', 'user:%').orWhere('owner', 'like', 'group:%'),
      );
    await entities(
      this.db('billing_accounts')
        .whereNotNull('low_balance_since_ms')
        .andWhere('balance_minor', '>=', threshold),
    ).update({ low_balance_since_ms: null, low_balance_notified_ms: null });
    const low = await entities(
      this.db('billing_accounts')
        .whereNull('low_balance_since_ms')
        .andWhere('balance_minor', '<', threshold)
        // Accounts that pay for something now; a provider's fresh income account is not low.
        .whereIn(
          'id',
          this.db('billing_segments')
            .whereNull('end_ms')
            .select('payer_account_id'),
        ),
    ).select('id');
    if (!low.length) return [];
    const ids = low.map((r: { id: string }) => r.id);
    await this.db('billing_accounts')
      .whereIn('id', ids)
      .whereNull('low_balance_since_ms')
      .update({ low_balance_since_ms: now });
    return ids;
  }
}
