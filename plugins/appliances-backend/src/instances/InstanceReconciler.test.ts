import { TestDatabases } from '@backstage/backend-test-utils';
import { diskNameOf } from '../operations/diskNameOf';
import { useInstanceActionsTestBed } from '../__testUtils__/instanceActionsTestBed';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'instance reconciler on %s',
  databaseId => {
    const setup = useInstanceActionsTestBed(databases, databaseId);

    it('keeps the addresses the agent reports, updating them when they change', async () => {
      const { reconciler, instances, provision, db, client } = await setup();
      const a = await provision('addr-1');
      expect(a.addresses).toHaveLength(1);
      const held = a.addresses;
      // The guest's lease moved on (as recorded): the agent's truth wins, without a version bump.
      await db('instances')
        .where({ id: a.id })
        .update({ addresses: JSON.stringify(['10.9.9.9']) });
      await reconciler.reconcileAll();
      expect(await instances.get(a.id)).toMatchObject({
        addresses: held,
        version: a.version,
      });
      await client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: diskNameOf(a.id) } },
      });
      await reconciler.reconcileAll();
      expect(await instances.get(a.id)).toMatchObject({
        state: 'stopped',
        addresses: [],
      });
    });

    it('reconciles drift: a guest that died becomes stopped, a vanished domain error, with events and audit', async () => {
      const { reconciler, instances, events, provision, client, auditor } =
        await setup();
      const a = await provision('drift-1');
      const b = await provision('drift-2');
      expect(await reconciler.reconcileAll()).toEqual({ checked: 2, fixed: 0 });
      await client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: diskNameOf(a.id) } },
      });
      await client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: diskNameOf(b.id) } },
      });
      await client.DELETE('/v1/domains/{name}', {
        params: { path: { name: diskNameOf(b.id) } },
      });
      expect(await reconciler.reconcileAll()).toEqual({ checked: 2, fixed: 2 });
      expect(await instances.get(a.id)).toMatchObject({
        state: 'stopped',
        version: 3,
      });
      expect(await instances.get(b.id)).toMatchObject({
        state: 'error',
        version: 3,
        error: 'The domain is gone from its host',
      });
      const [event] = await events.list(a.id, { limit: 1 });
      expect(event).toMatchObject({
        kind: 'reconcile',
        actor: 'system:reconciler',
        fromState: 'started',
        toState: 'stopped',
        version: 3,
      });
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'instance-reconciled',
          meta: expect.objectContaining({
            instanceId: a.id,
            from: 'started',
            to: 'stopped',
            version: 3,
          }),
        }),
      );
    });
  },
);
