import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { startAppliancesTestBackend } from '../__testUtils__/startAppliancesTestBackend';
import { insertHost } from './__testUtils__/billingFixtures';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const BUYER = 'user:default/buyer';
const auth = mockCredentials.user.header(BUYER);

describe.each(databases.eachSupportedId())(
  'a host chosen from the offers on %p',
  databaseId => {
    it('is offered with its prices, placed on when it fits, and refused with the reason when it does not', async () => {
      const knex = await databases.init(databaseId);
      const { server } = await startAppliancesTestBackend({
        knex,
        dataDirPrefix: 'tempest-offers-',
        denied: ['appliances.admin'],
      });
      await knex('channels').insert({
        id: 'sample',
        url: 'http://localhost/feed.xml',
        owner: 'group:default/tempest-admins',
        trusted_keys: '[]',
        source: 'api',
        created_at: new Date(),
      } as any);
      await knex('appliances').insert({
        id: 'sample.web.1',
        channel_id: 'sample',
        provides: 'web',
        version: '1',
        label: 'Web',
        description: 'A web server',
        size_mb: 512,
        image_url: 'http://localhost/web.tgz',
        signature_url: 'http://localhost/web.tgz.asc',
        signature_state: 'verified',
        cpus: 2,
        memory_kib: 1048576,
        ostype: 'linux',
        disks: JSON.stringify([{ name: 'vda', type: 'system', file: 's' }]),
        dependencies: '[]',
        variables: '[]',
        definition_url: 'http://localhost/web.xml',
        item_name: 'web',
        ingested_at: new Date(),
      });
      // Two hosts that fit, one dearer, and one too small.
      await insertHost(knex, { id: 'cheap', owner: 'user:default/pat' });
      await insertHost(knex, { id: 'dear', owner: 'user:default/sam' });
      await insertHost(knex, { id: 'tiny', owner: 'user:default/sam' });
      await knex('hosts')
        .where({ id: 'dear' })
        .update({ speed_price_minor: 5 });
      await knex('hosts').where({ id: 'tiny' }).update({ cpu_cores: 1 });
      const size = { cpuCores: 2, memoryMb: 1024, storageMb: 1024 };

      const offers = await request(server)
        .get('/api/appliances/offers')
        .query(size)
        .set('Authorization', auth);
      expect(offers.status).toBe(200);
      const fitting = offers.body.items.filter((o: any) => o.fits);
      expect(fitting.map((o: any) => o.hostId)).toEqual(['cheap', 'dear']);
      // 2 cores × 2 GHz: 4 speed units; per minute, so ×60 an hour.
      expect(fitting[1]).toMatchObject({
        runningPerHourMinor: (4 * 5 + 1) * 60,
        storagePerHourMinor: 60,
        perHourMinor: (4 * 5 + 1) * 60 + 60,
      });
      expect(
        offers.body.items.filter((o: any) => o.placementChoice),
      ).toHaveLength(1);

      const body = { applianceId: 'sample.web.1', hostname: 'web-1', size };
      const estimate = await request(server)
        .post('/api/appliances/instances/estimate')
        .set('Authorization', auth)
        .send({ ...body, hostId: 'dear' });
      expect(estimate.body.chosen).toMatchObject({
        hostId: 'dear',
        pricePerHourMinor: fitting[1].perHourMinor,
      });

      // A host that cannot take it is refused before anything is recorded.
      const refused = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .send({ ...body, hostId: 'tiny' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/^No host can run 2 cores/);
      expect(refused.body.error.message).toMatch(/host-tiny|tiny/);
      const over = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .send({ ...body, hostId: 'dear', maxPricePerHourMinor: 100 });
      expect(over.status).toBe(409);
      expect(Number((await knex('instances').count({ n: '*' }))[0].n)).toBe(0);

      // The chosen host is where placement puts it.
      const accepted = await request(server)
        .post('/api/appliances/instances')
        .set('Authorization', auth)
        .send({ ...body, hostId: 'dear' });
      expect(accepted.status).toBe(202);
      const deadline = Date.now() + 30_000;
      let place: any;
      do {
        const op = await request(server)
          .get(`/api/appliances/operations/${accepted.body.operationId}`)
          .set('Authorization', auth);
        place = op.body.steps?.find((s: any) => s.name === 'place');
        if (place?.state === 'done') break;
        await new Promise(r => setTimeout(r, 100));
      } while (Date.now() < deadline);
      expect(place.detail.decision.chosen.hostId).toBe('dear');
    });
  },
);
