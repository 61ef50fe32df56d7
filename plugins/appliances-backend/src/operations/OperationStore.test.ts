import { TestDatabases } from '@backstage/backend-test-utils';
import {
  insertProvisionRequest,
  provisionTestStores,
} from '../__testUtils__/provisionTestBed';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('OperationStore on %s', id => {
  it('reports an operation updated when one of its steps starts or ends, not when it only reports progress', async () => {
    const stores = await provisionTestStores(databases, id);
    const { operationId } = await insertProvisionRequest(
      stores.db,
      stores,
      'op-updated',
    );
    const { operations } = stores;
    const created = (await operations.get(operationId))!;
    expect(created.updatedAt).toBe(created.createdAt);

    const later = async () => {
      const before = Date.now();
      while (Date.now() <= before + 5) await new Promise(r => setTimeout(r, 5));
    };
    await later();
    await operations.updateStep(operationId, 'place', { state: 'running' });
    const running = (await operations.get(operationId))!;
    const place = running.steps.find(s => s.name === 'place')!;
    expect(running.updatedAt).toBe(place.startedAt);
    expect(running.updatedAt > created.updatedAt).toBe(true);

    await later();
    await operations.updateStep(operationId, 'place', { progress: 0.5 });
    expect((await operations.get(operationId))!.updatedAt).toBe(
      running.updatedAt,
    );

    await later();
    await operations.updateStep(operationId, 'place', { state: 'done' });
    const done = (await operations.get(operationId))!;
    expect(done.updatedAt).toBe(
      done.steps.find(s => s.name === 'place')!.finishedAt,
    );
    expect(done.updatedAt > running.updatedAt).toBe(true);
  });
});
