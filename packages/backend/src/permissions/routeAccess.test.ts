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
import {
  ACCOUNT_ID,
  HOST_ID,
  IDENTITIES,
  INSTANCE_ID,
  OPERATION_ID,
  WHO,
  memberships,
} from '../__testUtils__/routeAccessCallers';
import { ROWS } from '../__testUtils__/routeAccessRows';

jest.setTimeout(120_000);

/**
 * Every route of the appliances API × every kind of caller, through the real
 * Tempest policy. A route added to the spec without a row in
 * __testUtils__/routeAccessRows fails.
 */

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
