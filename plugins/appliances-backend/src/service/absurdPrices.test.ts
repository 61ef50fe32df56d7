import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import { startAppliancesTestBackend } from '../__testUtils__/startAppliancesTestBackend';

jest.setTimeout(90_000);

/**
 * One provider's absurd prices must not break placement for everybody: the
 * API refuses what no column holds exactly, and a host priced at the most it
 * holds is passed by when a size would cost more than can be charged.
 */
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const provider = mockCredentials.user.header('user:default/provider');
const buyer = mockCredentials.user.header('user:default/buyer');

const pricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 2,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 3,
  storagePeriodSeconds: 86400,
};

async function seedAppliance(knex: Knex) {
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
    image_url: 'http://localhost/web.img',
    signature_url: 'http://localhost/web.img.asc',
    signature_state: 'verified',
    cpus: 1,
    memory_kib: 1048576,
    ostype: 'linux',
    disks: '[]',
    dependencies: '[]',
    definition_url: 'http://localhost/web.xml',
    item_name: 'web',
    ingested_at: new Date(),
  });
}

/** Every number in a JSON text that is not a safe integer (score is a ratio, not money). */
function inexactNumbers(text: string): string[] {
  const found: string[] = [];
  JSON.parse(text, (key, value) => {
    if (
      typeof value === 'number' &&
      key !== 'score' &&
      !Number.isSafeInteger(value)
    )
      found.push(`${key}=${value}`);
    return value;
  });
  return found;
}

describe.each(databases.eachSupportedId())('absurd prices on %s', id => {
  it('keeps estimates working and exact for everybody', async () => {
    const knex = await databases.init(id);
    const { server } = await startAppliancesTestBackend({
      knex,
      dataDirPrefix: 'tempest-prices-',
    });
    await seedAppliance(knex);
    const register = async (name: string, prices: object) => {
      const res = await request(server)
        .post('/api/appliances/hosts')
        .set('Authorization', provider)
        .send({
          name,
          cpuModel: 'X',
          coreSpeedMhz: 2000,
          cpuCores: 8,
          memoryMb: 16384,
          storageMb: 100000,
          pricing: { ...pricing, ...prices },
          agentUrl: `https://${name}.example:7443`,
        });
      expect(res.status).toBe(201);
      return res.body.host.id as string;
    };
    // The fuller host, so best fit would choose it, at the most a price column holds exactly.
    const absurd = await register('absurd', {
      memoryPriceMinor: Number.MAX_SAFE_INTEGER,
    });
    await register('sane', {});
    await knex('hosts').update({ state: 'online' });
    await knex('hosts')
      .where({ id: absurd })
      .update({ used_cpu_cores: 4, used_memory_mb: 8192 });

    // A price past what a column holds is refused, and the stored one is kept.
    const refused = await request(server)
      .put(`/api/appliances/hosts/${absurd}/pricing`)
      .set('Authorization', provider)
      .set('content-type', 'application/json')
      .send(
        JSON.stringify(pricing).replace(
          '"speedPriceMinor":2',
          '"speedPriceMinor":1e308',
        ),
      );
    expect(refused.status).toBe(400);

    const size = { cpuCores: 1, memoryMb: 2048, storageMb: 10240 };
    for (const limit of [{}, { maxPricePerHourMinor: 1000 }]) {
      const estimate = await request(server)
        .post('/api/appliances/instances/estimate')
        .set('Authorization', buyer)
        .send({
          applianceId: 'sample.web.1',
          hostname: 'web-1',
          size,
          ...limit,
        });
      expect(estimate.status).toBe(200);
      expect(estimate.body.chosen.hostName).toBe('sane');
      expect(estimate.body.rejected).toEqual([
        expect.objectContaining({ hostName: 'absurd', reason: 'price' }),
      ]);
      expect(inexactNumbers(estimate.text)).toEqual([]);
    }
    const hosts = await request(server)
      .get('/api/appliances/hosts')
      .set('Authorization', provider);
    expect(hosts.text).toContain(
      `"memoryPriceMinor":${Number.MAX_SAFE_INTEGER}`,
    );
    expect(inexactNumbers(hosts.text)).toEqual([]);
  });
});
