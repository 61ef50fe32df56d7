import {
  TestDatabases,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import request from 'supertest';
import { HOSTING_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';
import { startAppliancesTestBackend } from '../__testUtils__/startAppliancesTestBackend';
import { topicListener } from '../__testUtils__/topicListener';
import { versionFromIfMatch } from './instanceRoutes';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const owner = 'user:default/buyer';
const stranger = 'user:default/other';

describe('versionFromIfMatch', () => {
  it('reads plain, quoted and weak versions and nothing else', () => {
    expect(versionFromIfMatch('7')).toBe(7);
    expect(versionFromIfMatch('"12"')).toBe(12);
    expect(versionFromIfMatch('W/"3"')).toBe(3);
    expect(versionFromIfMatch('*')).toBeUndefined();
    expect(versionFromIfMatch(undefined)).toBeUndefined();
  });
});

describe.each(databases.eachSupportedId())(
  'instance action and event routes on %s',
  databaseId => {
    async function start() {
      const knex = await databases.init(databaseId);
      const auditor = mockServices.auditor.mock();
      const listening = topicListener(HOSTING_CHANGED_TOPIC);
      const { server } = await startAppliancesTestBackend({
        knex,
        dataDirPrefix: 'tempest-actions-',
        features: [auditor.factory, ...listening.features],
      });
      const seed = async (
        id: string,
        hostname: string,
        state: string,
        createdAt = new Date(),
      ) =>
        knex('instances').insert({
          id,
          hostname,
          active_hostname: hostname,
          owner,
          appliance_id: 'sample.web.1',
          cpu_cores: 1,
          memory_mb: 512,
          storage_mb: 1024,
          state,
          version: 4,
          error: 'placement failed',
          created_at: createdAt,
          updated_at: createdAt,
        });
      return { server, knex, auditor, seed, announced: listening.received };
    }

    const as = (ref: string) => mockCredentials.user.header(ref);

    it('deletes a failed instance by If-Match, refuses stale and forbidden actions with the state, keeps history', async () => {
      const { server, seed, auditor, announced } = await start();
      await seed('i-1', 'web-1', 'error');
      const url = '/api/appliances/instances/i-1/actions';

      const missing = await request(server)
        .post(url)
        .set('Authorization', as(owner))
        .send({ action: 'delete' });
      expect(missing.status).toBe(400);

      const stale = await request(server)
        .post(url)
        .set('Authorization', as(owner))
        .set('If-Match', '"3"')
        .send({ action: 'delete' });
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({
        error: { name: 'ConflictError' },
        reason: 'stale-version',
        currentState: 'error',
        currentVersion: 4,
        allowedActions: ['retry', 'delete'],
      });

      const forbidden = await request(server)
        .post(url)
        .set('Authorization', as(owner))
        .send({ action: 'stop', expectedVersion: 4 });
      expect(forbidden.status).toBe(409);
      expect(forbidden.body).toMatchObject({
        reason: 'forbidden-action',
        allowedActions: ['retry', 'delete'],
      });

      const hidden = await request(server)
        .post(url)
        .set('Authorization', as(stranger))
        .send({ action: 'delete', expectedVersion: 4 });
      expect(hidden.status).toBe(404);
      expect(hidden.body.error.message).toBe("No instance 'i-1'");

      const bad = await request(server)
        .post(url)
        .set('Authorization', as(owner))
        .send({ action: 'explode', expectedVersion: 4 });
      expect(bad.status).toBe(400);

      // Refused and invalid attempts change nothing, so the catalog hears of nothing.
      expect(announced).toEqual([]);
      const deleted = await request(server)
        .post(url)
        .set('Authorization', as(owner))
        .set('If-Match', 'W/"4"')
        .send({ action: 'delete' });
      expect(deleted.status).toBe(200);
      // error → deleting → deleted: the catalog module is told of each, and drops the entity.
      expect(announced).toEqual([HOSTING_CHANGED_TOPIC, HOSTING_CHANGED_TOPIC]);
      expect(deleted.body.instance).toMatchObject({
        state: 'deleted',
        version: 6,
        allowedActions: [],
      });

      const events = await request(server)
        .get('/api/appliances/instances/i-1/events')
        .set('Authorization', as(owner));
      expect(events.status).toBe(200);
      expect(
        events.body.items.map((e: any) => [
          e.kind,
          e.action,
          e.fromState,
          e.toState ?? null,
          e.outcome,
        ]),
      ).toEqual([
        ['action', 'delete', 'deleting', 'deleted', 'succeeded'],
        ['action', 'delete', 'error', 'deleting', 'succeeded'],
        ['denied', 'stop', 'error', null, 'refused'],
        ['denied', 'delete', 'error', null, 'refused'],
      ]);
      expect(
        (
          await request(server)
            .get('/api/appliances/instances/i-1/events')
            .set('Authorization', as(stranger))
        ).status,
      ).toBe(404);

      // Every attempt went through the auditor: who, what, from where, the version
      // (the malformed action never reached the route: the spec refused it).
      const audits = auditor.createEvent.mock.calls.filter(
        ([e]) => e.eventId === 'instance-action',
      );
      expect(audits).toHaveLength(5);
      const handles = auditor.createEvent.mock.results.map(r => r.value);
      const outcomes = await Promise.all(handles);
      const failed = outcomes.flatMap(h => h.fail.mock.calls);
      const succeeded = outcomes.flatMap(h => h.success.mock.calls);
      expect(succeeded).toEqual([
        [{ meta: { actor: owner, from: 'error', to: 'deleted', version: 6 } }],
      ]);
      expect(failed.map(([f]) => f.meta)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            actor: owner,
            from: 'error',
            reason: 'stale-version',
            version: 4,
          }),
          expect.objectContaining({ actor: stranger, from: null }),
        ]),
      );
    });

    it('pages and filters the list in the database', async () => {
      const { server, seed, knex } = await start();
      for (let i = 0; i < 7; i++)
        await seed(
          `p-${i}`,
          `page-${i}`,
          i % 2 ? 'stopped' : 'error',
          new Date(Date.UTC(2026, 0, 1, 0, i)),
        );
      await knex('instances').insert({
        id: 'x-1',
        hostname: 'theirs',
        owner: stranger,
        appliance_id: 'a',
        cpu_cores: 1,
        memory_mb: 1,
        storage_mb: 1,
        state: 'stopped',
        version: 1,
        created_at: new Date(),
        updated_at: new Date(),
      });
      const first = await request(server)
        .get('/api/appliances/instances?limit=3')
        .set('Authorization', as(owner));
      expect(first.body).toMatchObject({ totalCount: 7, nextOffset: 3 });
      expect(first.body.items.map((i: any) => i.hostname)).toEqual([
        'page-6',
        'page-5',
        'page-4',
      ]);
      const last = await request(server)
        .get('/api/appliances/instances?limit=3&offset=6')
        .set('Authorization', as(owner));
      expect(last.body.items.map((i: any) => i.hostname)).toEqual(['page-0']);
      expect(last.body.nextOffset).toBeUndefined();
      const stopped = await request(server)
        .get('/api/appliances/instances?state=stopped')
        .set('Authorization', as(owner));
      expect(stopped.body.totalCount).toBe(3);
      expect(
        (
          await request(server)
            .get('/api/appliances/instances?limit=501')
            .set('Authorization', as(owner))
        ).status,
      ).toBe(400);
    });
  },
);
