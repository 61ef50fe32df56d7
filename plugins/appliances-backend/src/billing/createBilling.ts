import {
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { AccountStore } from './AccountStore';
import { BillingTask } from './BillingTask';
import { BillingConfig, readBillingConfig } from './readBillingConfig';

export type Billing = {
  config: BillingConfig;
  accounts: AccountStore;
  task: BillingTask;
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
}): Promise<Billing> {
  const config = readBillingConfig(deps.config);
  const logger = deps.logger.child({ task: 'billing' });
  const accounts = new AccountStore(deps.db, deps.currency);
  for (const s of config.startingBalances) {
    const account = await accounts.ensure(s.owner);
    await accounts.topUp(account.id, {
      amountMinor: s.amountMinor,
      reference: 'starting-balance',
      actor: 'system:billing',
    });
  }
  const task = new BillingTask(deps.db, accounts, {
    feeBasisPoints: config.feeBasisPoints,
    lowBalanceThresholdMinor: config.lowBalanceThresholdMinor,
  });
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
    },
  });
  return { config, accounts, task };
}
