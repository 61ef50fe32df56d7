import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { startAppliancesTestBackend } from '../__testUtils__/startAppliancesTestBackend';
import { insertHost } from '../billing/__testUtils__/billingFixtures';

jest.setTimeout(90_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const owner = 'user:default/buyer';
const stranger = 'user:default/other';
const as = (ref: string) => mockCredentials.user.header(ref);

describe.each(databases.eachSupportedId())(
  'moving an instance through the API on %s',
  databaseId => {
    async function start() {
      const knex = await databases.init(databaseId);
      const { server } = await startAppliancesTestBackend({
        knex,
        dataDirPrefix: 'tempest-migrate-',
      });
      // Two providers with one host each: pat's instance has nowhere to go.
      await insertHost(knex, { id: 'pats', owner: 'user:default/pat' });
      await insertHost(knex, { id: 'sams', owner: 'user:default/sam' });
      await knex('hosts')
        .update({ certificate_fingerprint: 'AA:BB', power_state: 'on' })
        .whereIn('id', ['pats', 'sams']);
      const seed = (id: string, state: string) =>
        knex('instances').insert({
          id,
          hostname: id,
          active_hostname: id,
          owner,
          appliance_id: 'sample.web.1',
          host_id: 'pats',
          domain_name: `i-${id}`,
          cpu_cores: 1,
          memory_mb: 512,
          storage_mb: 1024,
          state,
          version: 4,
          created_at: new Date(),
          updated_at: new Date(),
        });
      const migrate = (id: string, body: object, who = owner) =>
        request(server)
          .post(`/api/appliances/instances/${id}/actions`)
          .set('Authorization', as(who))
          .send({ action: 'migrate', expectedVersion: 4, ...body });
      const targets = (id: string, who = owner) =>
        request(server)
          .get(`/api/appliances/instances/${id}/migration-targets`)
          .set('Authorization', as(who));
      return { knex, seed, migrate, targets };
    }

    it('lists where an instance may go and refuses a move with nowhere to go, changing nothing', async () => {
      const { knex, seed, migrate, targets } = await start();
      await seed('web-1', 'stopped');

      const listed = await targets('web-1');
      expect(listed.status).toBe(200);
      expect(listed.body).toEqual({
        summary: 'user:default/pat has no other host to move to from pats',
        items: [],
      });
      expect((await targets('web-1', stranger)).status).toBe(404);

      const nowhere = await migrate('web-1', {});
      expect(nowhere.status).toBe(409);
      expect(nowhere.body).toMatchObject({
        reason: 'no-destination',
        currentState: 'stopped',
        currentVersion: 4,
      });
      expect(nowhere.body.error.message).toBe(
        'Cannot move web-1: user:default/pat has no other host to move to from pats',
      );
      const otherProvider = await migrate('web-1', { hostId: 'sams' });
      expect(otherProvider.status).toBe(409);
      expect(otherProvider.body.error.message).toBe(
        'Cannot move web-1: Host sams is not another host of user:default/pat, the provider of pats',
      );
      expect((await migrate('web-1', {}, stranger)).status).toBe(404);
      expect(
        await knex('instances')
          .where({ id: 'web-1' })
          .first('state', 'version'),
      ).toEqual({ state: 'stopped', version: 4 });
      expect(
        Number(
          (
            await knex('operations').where({ kind: 'migrate' }).count('* as n')
          )[0].n,
        ),
      ).toBe(0);
    });

    it('refuses to move a suspended instance (its memory is in its host hypervisor) and an unknown destination field', async () => {
      const { seed, migrate } = await start();
      await seed('web-2', 'suspended');
      const suspended = await migrate('web-2', {});
      expect(suspended.status).toBe(409);
      expect(suspended.body).toMatchObject({ reason: 'forbidden-action' });
      expect(suspended.body.error.message).toBe(
        'Cannot migrate an instance that is suspended; allowed: resume, stop',
      );
      const tooLong = await migrate('web-2', { hostId: 'x'.repeat(37) });
      expect(tooLong.status).toBe(400);
    });

    it('takes a running instance through the same checks: with nowhere to go it is refused before anything changes', async () => {
      const { seed, migrate, knex } = await start();
      await seed('web-3', 'started');
      const running = await migrate('web-3', {});
      expect(running.status).toBe(409);
      expect(running.body).toMatchObject({
        reason: 'no-destination',
        currentState: 'started',
      });
      expect(running.body.error.message).toBe(
        'Cannot move web-3: user:default/pat has no other host to move to from pats',
      );
      expect(
        await knex('instances').where({ id: 'web-3' }).first('state'),
      ).toEqual({ state: 'started' });
    });
  },
);
