import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { DefaultEventsService } from '@backstage/plugin-events-node';
import { APPLIANCES_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';
import {
  MARKET_PRICES_TASK_ID,
  refreshMarketOnChanges,
} from './refreshMarketOnChanges';

describe('refreshMarketOnChanges', () => {
  const logger = mockServices.logger.mock();
  const events = () => DefaultEventsService.create({ logger });

  it('recomputes market prices as soon as a channel changes the appliances', async () => {
    const bus = events();
    const scheduler = { triggerTask: jest.fn(async () => {}) };
    await refreshMarketOnChanges({ events: bus, scheduler, logger });

    await bus.publish({ topic: 'tempest.hosting.changed', eventPayload: {} });
    expect(scheduler.triggerTask).not.toHaveBeenCalled();
    await bus.publish({ topic: APPLIANCES_CHANGED_TOPIC, eventPayload: {} });
    expect(scheduler.triggerTask).toHaveBeenCalledWith(MARKET_PRICES_TASK_ID);
  });

  it('leaves a run under way alone and says when the task cannot be triggered', async () => {
    const bus = events();
    const scheduler = {
      triggerTask: jest
        .fn<Promise<void>, [string]>()
        .mockRejectedValueOnce(new ConflictError('Task is currently running'))
        .mockRejectedValueOnce(new Error('no such task')),
    };
    await refreshMarketOnChanges({ events: bus, scheduler, logger });
    await bus.publish({ topic: APPLIANCES_CHANGED_TOPIC, eventPayload: {} });
    expect(logger.warn).not.toHaveBeenCalled();
    await bus.publish({ topic: APPLIANCES_CHANGED_TOPIC, eventPayload: {} });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /Could not recompute market prices: .*no such task/,
      ),
    );
  });
});
