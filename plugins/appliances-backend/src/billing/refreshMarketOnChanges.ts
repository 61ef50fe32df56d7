import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { APPLIANCES_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';

export const MARKET_PRICES_TASK_ID = 'appliances-market-prices';

/**
 * New appliances get a market average at once rather than at the next
 * scheduled run (a minute later by default): a channel's ingest triggers the
 * market task. A run already under way is left to finish; its next turn
 * comes on the schedule.
 */
export async function refreshMarketOnChanges(deps: {
  events: Pick<EventsService, 'subscribe'>;
  scheduler: Pick<SchedulerService, 'triggerTask'>;
  logger: LoggerService;
}): Promise<void> {
  await deps.events.subscribe({
    id: MARKET_PRICES_TASK_ID,
    topics: [APPLIANCES_CHANGED_TOPIC],
    onEvent: async () => {
      try {
        await deps.scheduler.triggerTask(MARKET_PRICES_TASK_ID);
      } catch (e) {
        if ((e as Error).name === 'ConflictError') return;
        deps.logger.warn(`Could not recompute market prices: ${e}`);
      }
    },
  });
}
