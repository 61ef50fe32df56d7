import { TestDatabases, mockCredentials } from '@backstage/backend-test-utils';
import request from 'supertest';
import { startAppliancesTestBackend } from '../__testUtils__/startAppliancesTestBackend';
import { MAX_BODY_BYTES } from './http/requestGuards';

jest.setTimeout(90_000);

/**
 * What every route does with bad input, on both databases alike: NUL and
 * other text no database stores, integers past what a column holds, bodies
 * too large, and error bodies without stacks.
 */
const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const provider = mockCredentials.user.header('user:default/provider');

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
const hostBody = (name: string) => ({
  name,
  cpuModel: 'AMD EPYC 7443',
  coreSpeedMhz: 2850,
  cpuCores: 24,
  memoryMb: 131072,
  storageMb: 2_000_000,
  pricing,
  agentUrl: `https://${name}.example.net:7443`,
});

/** Sends a raw JSON text, so numbers JSON.stringify cannot write (2^53 + 1) go out as written. */
function sendJson(req: request.Test, json: string) {
  return req.set('content-type', 'application/json').send(json);
}

describe.each(databases.eachSupportedId())('request validation on %s', id => {
  let server: any;
  let knex: Awaited<ReturnType<TestDatabases['init']>>;
  const previousEnv = process.env.NODE_ENV;

  beforeAll(async () => {
    // Development mode, where Backstage's own error handler puts stacks in bodies.
    process.env.NODE_ENV = 'development';
    knex = await databases.init(id);
    ({ server } = await startAppliancesTestBackend({
      knex,
      dataDirPrefix: 'tempest-validation-',
    }));
  });
  afterAll(() => {
    process.env.NODE_ENV = previousEnv;
  });

  async function hostRows() {
    return (await knex('hosts').select('name', 'speed_price_minor')).map(r => ({
      name: r.name,
      price: Number(r.speed_price_minor),
    }));
  }

  it.each([
    ['a path parameter', 'get', '/instances/ab%00cd', undefined],
    [
      'a query parameter',
      'get',
      '/instances?owner=user%3Adefault%2Fa%00b',
      undefined,
    ],
    [
      'a query parameter of another route',
      'get',
      '/appliances?q=web%00',
      undefined,
    ],
    [
      'a body string',
      'post',
      '/hosts',
      { ...hostBody('nul-model'), cpuModel: 'AMD\u0000EPYC' },
    ],
    [
      'a body string in an array',
      'post',
      '/channels',
      {
        id: 'nul-keys',
        url: 'http://127.0.0.1:9/feed.xml',
        owner: 'group:default/tempest-admins',
        trustedKeys: ['-----BEGIN PGP\u0000'],
      },
    ],
    [
      'an unpaired surrogate',
      'post',
      '/hosts',
      { ...hostBody('surrogate'), cpuModel: 'AMD \ud800 EPYC' },
    ],
  ] as const)(
    'refuses NUL and invalid text in %s with 400 and stores nothing',
    async (_what, method, url, body) => {
      const before = await hostRows();
      let req = request(server)
        [method](`/api/appliances${url}`)
        .set('Authorization', provider);
      if (body) req = sendJson(req, JSON.stringify(body));
      const res = await req;
      expect({ status: res.status, name: res.body.error?.name }).toEqual({
        status: 400,
        name: 'InputError',
      });
      expect(res.body.error.message).toMatch(
        /NUL character|unpaired UTF-16 surrogate/,
      );
      expect(await hostRows()).toEqual(before);
    },
  );

  it.each([
    ['a price past 2^53', 'speedPriceMinor', '9007199254740993'],
    ['a price of 1e308', 'speedPriceMinor', '1e308'],
    ['a unit past the integer column', 'speedUnitMhz', '2147483648'],
    ['a period of 2^64', 'runningPeriodSeconds', '18446744073709551616'],
  ])(
    'refuses %s (400) rather than storing something else',
    async (_what, field, value) => {
      const json = JSON.stringify(
        hostBody(`big-${field.toLowerCase()}`),
      ).replace(`"${field}":${(pricing as any)[field]}`, `"${field}":${value}`);
      expect(json).toContain(value);
      const res = await sendJson(
        request(server)
          .post('/api/appliances/hosts')
          .set('Authorization', provider),
        json,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/must be <=/);
      expect(await hostRows()).toEqual([]);
    },
  );

  it('stores the largest exact price and gives it back as the same integer', async () => {
    const res = await sendJson(
      request(server)
        .post('/api/appliances/hosts')
        .set('Authorization', provider),
      JSON.stringify({
        ...hostBody('max-price'),
        pricing: { ...pricing, speedPriceMinor: Number.MAX_SAFE_INTEGER },
      }),
    );
    expect(res.status).toBe(201);
    expect(res.text).toContain('"speedPriceMinor":9007199254740991');
    const read = await request(server)
      .get(`/api/appliances/hosts/${res.body.host.id}`)
      .set('Authorization', provider);
    expect(read.text).toContain('"speedPriceMinor":9007199254740991');
    await knex('hosts').where({ id: res.body.host.id }).delete();
  });

  it('answers 413 to a body larger than the API takes, and nothing is stored', async () => {
    const res = await sendJson(
      request(server)
        .post('/api/appliances/hosts')
        .set('Authorization', provider),
      JSON.stringify({
        ...hostBody('too-large'),
        cpuModel: 'x'.repeat(MAX_BODY_BYTES),
      }),
    );
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/larger than/);
    expect(await hostRows()).toEqual([]);
  });

  it.each([
    ['a validation failure', 'post', '/hosts', { name: 'x' }, 400],
    ['a missing instance', 'get', '/instances/nope', undefined, 404],
    ['a malformed JSON body', 'post', '/hosts', '{"name": ', 400],
    ['a refused permission-free body', 'post', '/instances', {}, 400],
    [
      'a path no route serves',
      'post',
      '/hosts//enrolment-token',
      undefined,
      404,
    ],
  ] as const)(
    'answers %s without a stack or a server path, even in development',
    async (_what, method, url, body, status) => {
      let req = request(server)
        [method](`/api/appliances${url}`)
        .set('Authorization', provider);
      if (body !== undefined)
        req = sendJson(
          req,
          typeof body === 'string' ? body : JSON.stringify(body),
        );
      const res = await req;
      expect(res.status).toBe(status);
      expect(res.body.error.message).toEqual(expect.any(String));
      expect(res.body.error.stack).toBeUndefined();
      expect(res.text).not.toContain(process.cwd());
      expect(res.text).not.toMatch(/\.ts:\d+|node_modules/);
    },
  );

  it.each([' ', 'user:default/<script>', 'component:default/web', 'platform'])(
    'refuses a channel owner %j that is not a user or group ref, and stores nothing',
    async owner => {
      const res = await request(server)
        .post('/api/appliances/channels')
        .set('Authorization', provider)
        .send({ id: 'owned', url: 'http://127.0.0.1:9/feed.xml', owner });
      expect(res.status).toBe(400);
      expect(await knex('channels').where({ id: 'owned' })).toEqual([]);
    },
  );

  it('stores a channel owner as its full entity ref', async () => {
    const res = await request(server)
      .post('/api/appliances/channels')
      .set('Authorization', provider)
      .send({
        id: 'owned-ok',
        url: 'http://127.0.0.1:9/feed.xml',
        owner: 'group:platform',
      });
    expect(res.status).toBe(201);
    expect(res.body.owner).toBe('group:default/platform');
    await request(server)
      .delete('/api/appliances/channels/owned-ok')
      .set('Authorization', provider);
  });
});
