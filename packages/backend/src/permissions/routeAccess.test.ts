import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import appliancesPlugin, {
  appliancesOpenApiSpec as spec,
} from '@tempest/backstage-plugin-appliances-backend';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  policyPermissionsFactory,
  userInfoFactory,
} from '../__testUtils__/policyServices';

jest.setTimeout(120_000);

/**
 * Every route of the appliances API × every kind of caller, through the real
 * Tempest policy. A route added to the spec without a row here fails.
 */

const IDENTITIES = {
  owner: {
    ref: 'user:default/ann',
    groups: ['group:default/team-a', 'group:default/tempest-buyers'],
  },
  otherBuyer: {
    ref: 'user:default/bob',
    groups: ['group:default/tempest-buyers'],
  },
  provider: {
    ref: 'user:default/pat',
    groups: ['group:default/tempest-providers'],
  },
  admin: { ref: 'user:default/ada', groups: ['group:default/tempest-admins'] },
  none: undefined,
} as const;
type Who = keyof typeof IDENTITIES;
const WHO = Object.keys(IDENTITIES) as Who[];

const HOST_ID = '11111111-1111-4111-8111-111111111111';
const INSTANCE_ID = '22222222-2222-4222-8222-222222222222';
const OPERATION_ID = '33333333-3333-4333-8333-333333333333';
const ACCOUNT_ID = '44444444-4444-4444-8444-444444444444';

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
const provisionBody = {
  applianceId: 'no.such.appliance',
  hostname: 'web-9',
  size: { cpuCores: 1, memoryMb: 1024, storageMb: 10240 },
};

type Expected = number | { status: number; items: number };
type Row = {
  method: 'get' | 'post' | 'put' | 'delete';
  /** The path as the spec writes it. */
  path: string;
  url: (who: Who) => string;
  body?: (who: Who) => object;
  expect: Record<Who, Expected>;
};

const same = (status: number): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: status,
  provider: status,
  admin: status,
  none: status,
});
const signedIn = (status: number, admin = status): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: status,
  provider: status,
  admin,
  none: 401,
});
/** Instance reads: the owner (through a group), the provider of its host and admins see it; others are told it does not exist. */
const instanceRead = (status: number): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: 404,
  provider: status,
  admin: status,
  none: 401,
});

/** Accounts: the owning group's members and admins see it; others are told it does not exist. */
const accountRead = (status: number): Record<Who, Expected> => ({
  owner: status,
  otherBuyer: 404,
  provider: 404,
  admin: status,
  none: 401,
});

const ROWS: Row[] = [
  {
    method: 'get',
    path: '/market-prices',
    url: () => '/market-prices',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/offers',
    url: () => '/offers?cpuCores=1&memoryMb=1024&storageMb=1024',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/accounts',
    url: () => '/accounts',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/accounts/{id}',
    url: () => `/accounts/${ACCOUNT_ID}`,
    expect: accountRead(200),
  },
  {
    method: 'get',
    path: '/accounts/{id}/ledger',
    url: () => `/accounts/${ACCOUNT_ID}/ledger`,
    expect: accountRead(200),
  },
  // Admins only; an admin passes the permission to a transaction the account does not have.
  {
    method: 'post',
    path: '/accounts/{id}/ledger/{transactionId}/reversal',
    url: () => `/accounts/${ACCOUNT_ID}/ledger/999999/reversal`,
    body: () => ({ reason: 'access table' }),
    expect: signedIn(403, 404),
  },
  {
    method: 'get',
    path: '/accounts/{id}/income-by-host',
    url: () => `/accounts/${ACCOUNT_ID}/income-by-host`,
    expect: accountRead(200),
  },
  {
    method: 'post',
    path: '/accounts/{id}/top-ups',
    url: () => `/accounts/${ACCOUNT_ID}/top-ups`,
    body: who => ({ amountMinor: 100, reference: `access-${who}` }),
    expect: signedIn(403, 200),
  },
  // Static files are served without sign-in only where configured; here they are not.
  { method: 'get', path: '/health', url: () => '/health', expect: same(200) },
  {
    method: 'get',
    path: '/summary',
    url: () => '/summary',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/static/channels/{channel}/{file}',
    url: () => '/static/channels/sample/feed.xml',
    expect: signedIn(404),
  },
  {
    method: 'get',
    path: '/channels',
    url: () => '/channels',
    expect: signedIn(200),
  },
  {
    method: 'post',
    path: '/channels',
    url: () => '/channels',
    body: who => ({
      id: `c-${who.toLowerCase()}`,
      url: 'http://127.0.0.1:9/feed.xml',
      owner: 'group:default/tempest-admins',
    }),
    expect: signedIn(403, 201),
  },
  {
    method: 'delete',
    path: '/channels/{id}',
    url: () => '/channels/nope',
    expect: signedIn(403, 404),
  },
  {
    method: 'post',
    path: '/channels/{id}/refresh',
    url: () => '/channels/nope/refresh',
    expect: signedIn(403, 404),
  },
  {
    method: 'get',
    path: '/appliances',
    url: () => '/appliances',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/appliances/{id}',
    url: () => '/appliances/nope',
    expect: signedIn(404),
  },
  {
    method: 'get',
    path: '/appliance-facets',
    url: () => '/appliance-facets',
    expect: signedIn(200),
  },
  {
    method: 'get',
    path: '/hosts',
    url: () => '/hosts',
    expect: {
      owner: { status: 200, items: 0 },
      otherBuyer: { status: 200, items: 0 },
      provider: { status: 200, items: 1 },
      admin: { status: 200, items: 1 },
      none: 401,
    },
  },
  {
    method: 'post',
    path: '/hosts',
    url: () => '/hosts',
    body: who => ({
      name: `new-${who.toLowerCase()}`,
      cpuModel: 'X',
      coreSpeedMhz: 2000,
      cpuCores: 8,
      memoryMb: 8192,
      storageMb: 100000,
      pricing,
      agentUrl: 'https://new.example:7443',
    }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 201,
      admin: 201,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/hosts/{id}',
    url: () => `/hosts/${HOST_ID}`,
    expect: {
      owner: 404,
      otherBuyer: 404,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  {
    method: 'put',
    path: '/hosts/{id}/pricing',
    url: () => `/hosts/${HOST_ID}/pricing`,
    body: () => pricing,
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  {
    method: 'put',
    path: '/hosts/{id}/maintenance',
    url: () => `/hosts/${HOST_ID}/maintenance`,
    body: () => ({ maintenance: false }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/hosts/{id}/power',
    url: () => `/hosts/${HOST_ID}/power?hours=2`,
    expect: {
      owner: 404,
      otherBuyer: 404,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  // The seeded host has no BMC: its provider and admins are told so.
  {
    method: 'post',
    path: '/hosts/{id}/power',
    url: () => `/hosts/${HOST_ID}/power`,
    body: () => ({ action: 'cycle' }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 409,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'put',
    path: '/hosts/{id}/agent-url',
    url: () => `/hosts/${HOST_ID}/agent-url`,
    body: () => ({ agentUrl: 'https://rack1-moved.example:7443' }),
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 200,
      admin: 200,
      none: 401,
    },
  },
  // The seeded host has enrolled already.
  {
    method: 'post',
    path: '/hosts/{id}/enrolment-token',
    url: () => `/hosts/${HOST_ID}/enrolment-token`,
    expect: {
      owner: 403,
      otherBuyer: 403,
      provider: 409,
      admin: 409,
      none: 401,
    },
  },
  // Agents authenticate with their own tokens, whoever else calls.
  {
    method: 'post',
    path: '/agent/enroll',
    url: () => '/agent/enroll',
    body: () => ({ token: 'not-a-valid-enrolment-token' }),
    expect: same(403),
  },
  {
    method: 'post',
    path: '/agent/heartbeat',
    url: () => '/agent/heartbeat',
    body: () => ({ name: 'x', sentAt: new Date().toISOString() }),
    expect: same(401),
  },
  {
    method: 'get',
    path: '/static/os-images/{file}',
    url: () => '/static/os-images/linux.img',
    expect: signedIn(404),
  },
  {
    method: 'get',
    path: '/instances',
    url: () => '/instances',
    expect: {
      owner: { status: 200, items: 1 },
      otherBuyer: { status: 200, items: 0 },
      provider: { status: 200, items: 1 },
      admin: { status: 200, items: 1 },
      none: 401,
    },
  },
  // Buyers and admins get past the permission to the unknown appliance (400); providers may not provision.
  {
    method: 'post',
    path: '/instances',
    url: () => '/instances',
    body: () => provisionBody,
    expect: {
      owner: 400,
      otherBuyer: 400,
      provider: 403,
      admin: 400,
      none: 401,
    },
  },
  {
    method: 'post',
    path: '/instances/estimate',
    url: () => '/instances/estimate',
    body: () => provisionBody,
    expect: {
      owner: 400,
      otherBuyer: 400,
      provider: 403,
      admin: 400,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/instances/{id}',
    url: () => `/instances/${INSTANCE_ID}`,
    expect: instanceRead(200),
  },
  {
    method: 'post',
    path: '/instances/{id}/actions',
    url: () => `/instances/${INSTANCE_ID}/actions`,
    // The instance is provisioning: an owner or admin passes the permission and meets the state (409);
    // the provider sees it but may not act (403); another buyer is told it does not exist.
    body: () => ({ action: 'start', expectedVersion: 1 }),
    expect: {
      owner: 409,
      otherBuyer: 404,
      provider: 403,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/instances/{id}/events',
    url: () => `/instances/${INSTANCE_ID}/events`,
    expect: instanceRead(200),
  },
  {
    method: 'post',
    path: '/instances/{id}/console',
    url: () => `/instances/${INSTANCE_ID}/console`,
    // The instance is provisioning: the owner and admins may open its console but it has none yet (409);
    // the provider of its host sees it but may not open its console (403); another buyer is told it does not exist.
    expect: {
      owner: 409,
      otherBuyer: 404,
      provider: 403,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/instances/{id}/serial-log',
    url: () => `/instances/${INSTANCE_ID}/serial-log`,
    expect: {
      owner: 409,
      otherBuyer: 404,
      provider: 403,
      admin: 409,
      none: 401,
    },
  },
  {
    method: 'get',
    path: '/operations/{id}',
    url: () => `/operations/${OPERATION_ID}`,
    expect: instanceRead(200),
  },
];

const memberships = Object.fromEntries(
  Object.values(IDENTITIES).flatMap(i => (i ? [[i.ref, i.groups]] : [])),
);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe('route × caller table', () => {
  it('has a row for every operation in the spec and no other', () => {
    const specRoutes = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter(m => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
        .map(m => `${m.toUpperCase()} ${p}`),
    );
    expect(ROWS.map(r => `${r.method.toUpperCase()} ${r.path}`).sort()).toEqual(
      specRoutes.sort(),
    );
  });
});

describe.each(databases.eachSupportedId())(
  'every route × every caller on %s',
  databaseId => {
    let server: any;

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      const dataDir = await fs.mkdtemp(
        path.join(os.tmpdir(), 'tempest-access-'),
      );
      ({ server } = await startTestBackend({
        features: [
          appliancesPlugin,
          // The real router service: its credentials barrier answers 401 before the plugin's router.
          httpRouterServiceFactory,
          // Without a header the mock would default to a user; a caller without identity has none.
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
          policyPermissionsFactory(memberships),
          userInfoFactory(memberships),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: {
              appliances: {
                dataDir,
                secretKey: 'a-test-secret-key-of-enough-length!!',
              },
            },
          }),
        ],
      }));
      const now = new Date();
      await knex('hosts').insert({
        id: HOST_ID,
        name: 'rack1',
        owner: IDENTITIES.provider.ref,
        cpu_model: 'X',
        core_speed_mhz: 2000,
        cpu_cores: 8,
        memory_mb: 8192,
        storage_mb: 100000,
        speed_unit_mhz: 1000,
        speed_price_minor: 2,
        memory_unit_mb: 1024,
        memory_price_minor: 1,
        running_period_seconds: 3600,
        storage_unit_mb: 10240,
        storage_price_minor: 3,
        storage_period_seconds: 86400,
        agent_url: 'https://rack1.example:7443',
        state: 'online',
        powered_on: true,
        used_cpu_cores: 1,
        used_memory_mb: 1024,
        used_storage_mb: 10240,
        enrolled_at: now,
        created_at: now,
        updated_at: now,
      } as any);
      await knex('billing_accounts').insert({
        id: ACCOUNT_ID,
        owner: 'group:default/team-a',
        currency: 'EUR',
        balance_minor: 0,
        created_at_ms: now.getTime(),
      });
      await knex('operations').insert({
        id: OPERATION_ID,
        kind: 'provision',
        instance_id: INSTANCE_ID,
        requested_by: IDENTITIES.owner.ref,
        request_hash: 'h',
        request: '{}',
        state: 'succeeded',
        created_at: now,
        updated_at: now,
      });
      await knex('instances').insert({
        id: INSTANCE_ID,
        hostname: 'web-1',
        active_hostname: 'web-1',
        owner: 'group:default/team-a',
        appliance_id: 'sample.web.1',
        host_id: HOST_ID,
        cpu_cores: 1,
        memory_mb: 1024,
        storage_mb: 10240,
        state: 'provisioning',
        version: 1,
        operation_id: OPERATION_ID,
        created_at: now,
        updated_at: now,
      });
    });

    describe.each(
      ROWS.map(r => [`${r.method.toUpperCase()} ${r.path}`, r] as const),
    )('%s', (_name, row) => {
      it.each(WHO)('answers %s as expected', async who => {
        const identity = IDENTITIES[who];
        let req = request(server)[row.method](`/api/appliances${row.url(who)}`);
        if (identity)
          req = req.set(
            'Authorization',
            mockCredentials.user.header(identity.ref),
          );
        const res = row.body ? await req.send(row.body(who)) : await req;
        const expected = row.expect[who];
        const status =
          typeof expected === 'number' ? expected : expected.status;
        expect({
          who,
          status: res.status,
          body: res.status === status ? undefined : res.body,
        }).toEqual({ who, status, body: undefined });
        const items = typeof expected === 'number' ? undefined : expected.items;
        expect(items === undefined ? undefined : res.body.items?.length).toBe(
          items,
        );
        // Never leak: a hidden instance is answered exactly like one that does not exist.
        const leaked =
          res.status === 404 && /web-1|team-a/.test(JSON.stringify(res.body));
        expect(leaked).toBe(false);
      });
    });
  },
);
