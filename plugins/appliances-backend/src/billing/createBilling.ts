import {
  AuditorService,
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { AccountStore } from './AccountStore';
import { HostIncomeReader } from './HostIncomeReader';
import { LedgerReader } from './LedgerReader';
import { Reversals } from './Reversals';
import { TopUps } from './TopUps';
import { BillingTask } from './BillingTask';
import {
  BillingConfig,
  readBillingConfig,
  refusesProvisioning,
} from './readBillingConfig';
import { ZeroBalanceStopper } from './ZeroBalanceStopper';
import { Requester, admitProvisioning } from './costCenters';
import { MarketPrices } from './MarketPrices';
import { LowBalanceNotifier } from './LowBalanceNotifier';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import { EventsService } from '@backstage/plugin-events-node';
import { PlacementHost } from '@tempest/backstage-plugin-appliances-common';
import { ApplianceStore } from '../database/ApplianceStore';
import { HostStore } from '../hosts/HostStore';
import {
  MARKET_PRICES_TASK_ID,
  refreshMarketOnChanges,
} from './refreshMarketOnChanges';

export type Billing = {
  config: BillingConfig;
  accounts: AccountStore;
  topUps: TopUps;
  reversals: Reversals;
  ledger: LedgerReader;
  income: HostIncomeReader;
  task: BillingTask;
  market: MarketPrices;
  /** Online hosts for offers and market prices, with their providers. */
  offerHosts(): Promise<{
    hosts: PlacementHost[];
    providers: Map<string, string>;
  }>;
  /** The cost center a new instance bills, once the zero-balance policy lets it. */
  admit(requester: Requester, requested?: string): Promise<string>;
};

/**
 * Billing's room: its stores and its scheduled task (global scope: one
 * replica at a time, though the ledger's unique keys would also hold if not).
 */
export async function createBilling(deps: {
  db: Knex;
  config: RootConfigService;
  currency: string;
  scheduler: SchedulerService;
  logger: LoggerService;
  appliances: ApplianceStore;
  hosts: HostStore;
  /** Backstage notifications, to tell owners of low balances. */
  notifications?: Pick<NotificationService, 'send'>;
  auditor: AuditorService;
  /** Announces changed appliances, which get a market average at once. */
  events?: Pick<EventsService, 'subscribe'>;
  /** Stops an instance cleanly if it still runs ('stop-after-grace'). */
  stopInstance: (instanceId: string, actor: string) => Promise<void>;
}): Promise<Billing> {
  const config = readBillingConfig(deps.config);
  const logger = deps.logger.child({ task: 'billing' });
  const accounts = new AccountStore(deps.db, deps.currency);
  const topUps = new TopUps(deps.db, accounts);
  for (const s of config.startingBalances) {
    const account = await accounts.ensure(s.owner);
    await topUps.topUp(account.id, {
      amountMinor: s.amountMinor,
      reference: 'starting-balance',
      actor: 'system:billing',
    });
  }
  const task = new BillingTask(deps.db, accounts, {
    feeBasisPoints: config.feeBasisPoints,
    lowBalanceThresholdMinor: config.lowBalanceThresholdMinor,
  });
  const notifier = deps.notifications
    ? new LowBalanceNotifier(deps.db, deps.notifications, {
        thresholdMinor: config.lowBalanceThresholdMinor,
        refusesAtZero: refusesProvisioning(config.zeroBalancePolicy),
      })
    : undefined;
  const stopper =
    config.zeroBalancePolicy === 'stop-after-grace'
      ? new ZeroBalanceStopper({
          db: deps.db,
          graceMs: config.zeroBalanceGraceSeconds * 1000,
          stopInstance: deps.stopInstance,
          auditor: deps.auditor,
        })
      : undefined;
  await deps.scheduler.scheduleTask({
    id: 'appliances-billing',
    scope: 'global',
    frequency: { seconds: config.frequencySeconds },
    timeout: { minutes: 10 },
    initialDelay: { seconds: 3 },
    fn: async () => {
      const result = await task.tick(Date.now());
      if (result.charged) {
        logger.info(
          `Charged ${result.charged} periods (${result.instancesRead} instances read)`,
        );
      }
      for (const id of result.newlyLow) {
        logger.info(`Account ${id} fell below the low-balance threshold`);
      }
      try {
        await notifier?.notifyPending(Date.now());
      } catch (e) {
        logger.warn(String(e));
      }
      for (const s of (await stopper?.run(Date.now())) ?? []) {
        if (s.error)
          logger.warn(
            `Could not stop ${s.hostname} (${s.account} at zero): ${s.error}`,
          );
        else
          logger.info(
            `Stopped ${s.hostname}: ${s.account} stayed at zero past the grace period`,
          );
      }
    },
  });
  const market = new MarketPrices(deps.db);
  const offerHosts = async () => {
    const [hosts, all] = await Promise.all([
      deps.hosts.placementHosts(),
      deps.hosts.list(),
    ]);
    return { hosts, providers: new Map(all.map(h => [h.id, h.owner])) };
  };
  await deps.scheduler.scheduleTask({
    id: MARKET_PRICES_TASK_ID,
    scope: 'global',
    frequency: { seconds: config.marketFrequencySeconds },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 5 },
    fn: async () => {
      const { items } = await deps.appliances.query({
        offset: 0,
        limit: 100_000,
      });
      const { hosts } = await offerHosts();
      await market.recompute(items, hosts, Date.now());
    },
  });
  if (deps.events)
    await refreshMarketOnChanges({
      events: deps.events,
      scheduler: deps.scheduler,
      logger,
    });
  return {
    config,
    accounts,
    topUps,
    reversals: new Reversals(deps.db),
    ledger: new LedgerReader(deps.db),
    income: new HostIncomeReader(deps.db),
    task,
    market,
    offerHosts,
    admit: (requester, requested) =>
      admitProvisioning(accounts, config, requester, requested),
  };
}
