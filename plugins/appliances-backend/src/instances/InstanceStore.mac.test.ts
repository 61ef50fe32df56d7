import { TestDatabases } from '@backstage/backend-test-utils';
import {
  insertProvisionRequest,
  provisionTestStores,
} from '../__testUtils__/provisionTestBed';
import { InstanceStore } from './InstanceStore';

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'instance MACs on %s',
  databaseId => {
    it('draws another MAC when the one drawn is taken, inside the same transaction', async () => {
      const { db, operations } = await provisionTestStores(
        databases,
        databaseId,
      );
      const drawn = [
        '02:7e:00:00:00:01',
        '02:7e:00:00:00:01',
        '02:7e:00:00:00:02',
      ];
      const instances = new InstanceStore(db, () => drawn.shift()!);
      const first = await insertProvisionRequest(
        db,
        { operations, instances },
        'one',
      );
      const second = await insertProvisionRequest(
        db,
        { operations, instances },
        'two',
      );
      expect((await instances.get(first.instanceId))!.mac).toBe(
        '02:7e:00:00:00:01',
      );
      expect((await instances.get(second.instanceId))!.mac).toBe(
        '02:7e:00:00:00:02',
      );
      // The operation recorded in the same transaction survived the retry.
      expect(await operations.get(second.operationId)).toBeDefined();
      expect(drawn).toEqual([]);
    });

    it('records addresses only when they change', async () => {
      const { db, operations, instances } = await provisionTestStores(
        databases,
        databaseId,
      );
      const { instanceId } = await insertProvisionRequest(
        db,
        { operations, instances },
        'addr',
      );
      expect((await instances.get(instanceId))!.addresses).toEqual([]);
      expect(await instances.recordAddresses(instanceId, ['10.0.0.5'])).toBe(
        true,
      );
      expect(await instances.recordAddresses(instanceId, ['10.0.0.5'])).toBe(
        false,
      );
      expect(await instances.recordAddresses(instanceId, ['10.0.0.6'])).toBe(
        true,
      );
      expect((await instances.get(instanceId))!.addresses).toEqual([
        '10.0.0.6',
      ]);
    });
  },
);
