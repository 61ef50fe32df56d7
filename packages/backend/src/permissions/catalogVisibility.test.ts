import { createBackendModule } from '@backstage/backend-plugin-api';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  EntityProviderConnection,
  catalogProcessingExtensionPoint,
} from '@backstage/plugin-catalog-node';
import {
  HOSTING_LOCATION,
  HostView,
  InstanceView,
  hostToEntity,
  instanceToEntity,
} from '@tempest/backstage-plugin-catalog-backend-module-appliances';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import request from 'supertest';
import {
  policyPermissionsFactory,
  userInfoFactory,
} from '../__testUtils__/policyServices';

jest.setTimeout(120_000);

/**
 * Hosts and instances in the catalog are seen by exactly those the appliances
 * API shows them to, through the catalog's own API: the Tempest policy answers
 * catalog-entity permissions with conditions the catalog applies in its database.
 */

const ADA = 'user:default/ada'; // admin
const ANN = 'user:default/ann'; // buyer, in team-a
const BOB = 'user:default/bob'; // buyer, in team-b
const PAT = 'user:default/pat'; // provider
const NORA = 'user:default/nora'; // no role
const memberships = {
  [ADA]: ['group:default/tempest-admins'],
  [ANN]: ['group:default/tempest-buyers', 'group:default/team-a'],
  [BOB]: ['group:default/tempest-buyers', 'group:default/team-b'],
  [PAT]: ['group:default/tempest-providers'],
  [NORA]: [],
};

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
function host(id: string, name: string, owner: string): HostView {
  const now = new Date().toISOString();
  return {
    id,
    name,
    owner,
    cpuModel: 'X',
    coreSpeedMhz: 2000,
    cpuCores: 16,
    memoryMb: 65536,
    storageMb: 1_000_000,
    pricing,
    agentUrl: `https://${name}.example:7443`,
    state: 'online',
    poweredOn: true,
    power: { state: 'on' },
    used: { cpuCores: 0, memoryMb: 0, storageMb: 0 },
    createdAt: now,
    updatedAt: now,
  };
}
function instance(
  hostname: string,
  owner: string,
  hostId: string,
): InstanceView {
  const now = new Date().toISOString();
  return {
    id: `id-${hostname}`,
    hostname,
    owner,
    applianceId: 'sample.web.1',
    hostId,
    size: { cpuCores: 1, memoryMb: 1024, storageMb: 10240 },
    state: 'started',
    version: 2,
    entityRef: `resource:default/${hostname}`,
    addresses: [],
    createdAt: now,
    updatedAt: now,
  };
}

const hosts = [
  host('h-pat', 'rack-pat', PAT),
  host('h-other', 'rack-other', 'user:default/olga'),
];
const hostsById = new Map(hosts.map(h => [h.id, h]));
const entities: Entity[] = [
  ...hosts.map(h => hostToEntity(h)),
  // Ann's own, on Pat's host; team-b's on another provider's host; Ann's group's on the other host.
  instanceToEntity(instance('web-ann', ANN, 'h-pat'), hostsById)!,
  instanceToEntity(
    instance('web-team-b', 'group:default/team-b', 'h-other'),
    hostsById,
  )!,
  instanceToEntity(
    instance('web-team-a', 'group:default/team-a', 'h-other'),
    hostsById,
  )!,
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: 'sample.web.1',
      annotations: {
        'backstage.io/managed-by-location': `${HOSTING_LOCATION}/appliance`,
        'backstage.io/managed-by-origin-location': `${HOSTING_LOCATION}/appliance`,
      },
    },
    spec: { type: 'virtual-appliance', owner: 'group:default/tempest-admins' },
  },
];

/** Emits the fixed entities above, as Tempest's hosting provider would. */
const fixedEntities = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'tempest-visibility-fixture',
  register(reg) {
    reg.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addEntityProvider({
          getProviderName: () => 'tempest-visibility-fixture',
          async connect(connection: EntityProviderConnection) {
            await connection.applyMutation({
              type: 'full',
              entities: entities.map(entity => ({
                entity,
                locationKey: HOSTING_LOCATION,
              })),
            });
          },
        });
      },
    });
  },
});

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'Tempest entities in the catalog on %s',
  databaseId => {
    let server: any;

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startTestBackend({
        features: [
          catalogPlugin,
          fixedEntities,
          httpRouterServiceFactory,
          mockServices.httpAuth.factory({
            defaultCredentials: mockCredentials.none(),
          }),
          policyPermissionsFactory(memberships),
          userInfoFactory(memberships),
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({
            data: { catalog: { rules: [{ allow: ['Resource'] }] } },
          }),
        ],
      }));
      // The catalog processes and stitches provider entities in the background.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await request(server)
          .get('/api/catalog/entities/by-query')
          .query({ filter: 'kind=resource' })
          .set('Authorization', mockCredentials.user.header(ADA));
        if (res.body.items?.length === entities.length) break;
        if (Date.now() > deadline)
          throw new Error(`Catalog not ready: ${res.text}`);
        await new Promise(r => setTimeout(r, 250));
      }
    });

    async function visibleTo(user: string): Promise<string[]> {
      const res = await request(server)
        .get('/api/catalog/entities/by-query')
        .query({ filter: 'kind=resource' })
        .set('Authorization', mockCredentials.user.header(user));
      expect(res.status).toBe(200);
      return res.body.items.map((e: Entity) => e.metadata.name).sort();
    }

    it.each([
      [
        'an admin sees every host and instance',
        ADA,
        [
          'rack-other.host',
          'rack-pat.host',
          'sample.web.1',
          'web-ann',
          'web-team-a',
          'web-team-b',
        ],
      ],
      [
        'a buyer sees their own and their group’s instances, no hosts',
        ANN,
        ['sample.web.1', 'web-ann', 'web-team-a'],
      ],
      [
        'another buyer sees only their group’s',
        BOB,
        ['sample.web.1', 'web-team-b'],
      ],
      [
        'a provider sees their host and the instances on it',
        PAT,
        ['rack-pat.host', 'sample.web.1', 'web-ann'],
      ],
      ['a user with no role sees no host or instance', NORA, ['sample.web.1']],
    ])('%s', async (_what, user, expected) => {
      expect(await visibleTo(user)).toEqual(expected);
    });

    it('answers a look-up of a hidden instance as not found', async () => {
      const res = await request(server)
        .get('/api/catalog/entities/by-name/resource/default/web-ann')
        .set('Authorization', mockCredentials.user.header(BOB));
      expect(res.status).toBe(404);
      const own = await request(server)
        .get('/api/catalog/entities/by-name/resource/default/web-ann')
        .set('Authorization', mockCredentials.user.header(ANN));
      expect(own.status).toBe(200);
    });
  },
);
