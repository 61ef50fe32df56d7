import { TestDatabases } from '@backstage/backend-test-utils';
import {
  insertProvisionRequest,
  provisionTestStores,
} from '../__testUtils__/provisionTestBed';
import { InstanceEventStore } from './InstanceEventStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'InstanceEventStore on %s',
  databaseId => {
    async function setup() {
      const stores = await provisionTestStores(databases, databaseId);
      const { instanceId } = await insertProvisionRequest(
        stores.db,
        stores,
        'web-1',
      );
      const onStateChanged = jest.fn();
      const events = new InstanceEventStore(stores.db, { onStateChanged });
      return { ...stores, events, instanceId, onStateChanged };
    }

    const started = (instanceId: string) => ({
      instanceId,
      actor: 'user:default/a',
      kind: 'provision' as const,
      fromState: 'provisioning' as const,
      toState: 'started' as const,
      outcome: 'succeeded' as const,
    });

    it('announces a state change at once when written on its own', async () => {
      const { events, instanceId, onStateChanged } = await setup();
      await events.record(started(instanceId));
      expect(onStateChanged).toHaveBeenCalledTimes(1);
      expect(await events.list(instanceId, { limit: 5 })).toHaveLength(1);
    });

    it('announces a change written in a transaction only once it is committed', async () => {
      const { db, events, instanceId, onStateChanged } = await setup();
      await db.transaction(async trx => {
        await events.record(started(instanceId), trx);
        expect(onStateChanged).not.toHaveBeenCalled();
      });
      await new Promise(resolve => setImmediate(resolve));
      expect(onStateChanged).toHaveBeenCalledTimes(1);
    });

    it('announces nothing when the transaction rolls back, or when no state changed', async () => {
      const { db, events, instanceId, onStateChanged } = await setup();
      await expect(
        db.transaction(async trx => {
          await events.record(started(instanceId), trx);
          throw new Error('later step failed');
        }),
      ).rejects.toThrow('later step failed');
      await events.record({
        instanceId,
        actor: 'user:default/b',
        kind: 'denied',
        action: 'stop',
        outcome: 'refused',
      });
      await new Promise(resolve => setImmediate(resolve));
      expect(onStateChanged).not.toHaveBeenCalled();
      expect(await events.list(instanceId, { limit: 5 })).toHaveLength(1);
    });
  },
);
