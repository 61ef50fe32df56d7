import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { APPLIANCES_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { appliancesPlugin } from '../plugin';
import { startChannelServer } from '../channels/testChannelServer';
import { topicListener } from '../__testUtils__/topicListener';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const sampleDir = path.resolve(
  __dirname,
  '../../../../catalog/channels/sample',
);
const publicKey = fs.readFileSync(
  path.resolve(sampleDir, '../TEST-ONLY-signing-key/public-key.TEST-ONLY.asc'),
  'utf8',
);

const listening = topicListener(APPLIANCES_CHANGED_TOPIC);
const announced = listening.received;

describe.each(databases.eachSupportedId())(
  'channel and appliance routes on %s',
  databaseId => {
    let channelServer: Awaited<ReturnType<typeof startChannelServer>>;

    beforeAll(async () => {
      // The sample channel, served from a plain HTTP server as any channel server would.
      const routes: Record<string, Buffer> = {};
      for (const file of fs.readdirSync(sampleDir)) {
        routes[`/sample/${file}`] = fs.readFileSync(path.join(sampleDir, file));
      }
      channelServer = await startChannelServer(routes);
    });
    afterAll(() => channelServer.close());

    async function start(
      result:
        AuthorizeResult.ALLOW | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
    ) {
      const knex = await databases.init(databaseId);
      const { server } = await startTestBackend({
        features: [
          appliancesPlugin,
          ...listening.features,
          mockServices.database.factory({ knex }),
          mockServices.permissions.factory({ result }),
          mockServices.rootConfig.factory({
            data: {
              appliances: {
                schedule: {
                  frequency: { hours: 24 },
                  timeout: { minutes: 5 },
                  initialDelay: { hours: 24 },
                },
                channels: [
                  {
                    id: 'sample',
                    url: channelServer.url('/sample/feed.xml'),
                    owner: 'group:default/tempest-admins',
                    trustedKeys: [publicKey],
                  },
                ],
                staticChannels: { directory: path.dirname(sampleDir) },
                // The test channel server listens on loopback.
                fetch: { allowedPrivateNetworks: ['127.0.0.1/32'] },
              },
            },
          }),
        ],
      });
      return server;
    }

    const user = () => mockCredentials.user.header();
    const service = () => mockCredentials.service.header();

    it('announces changed appliances to other plugins, and nothing when the feed is unchanged', async () => {
      const server = await start();
      announced.length = 0;
      await request(server)
        .post('/api/appliances/channels/sample/refresh')
        .set('Authorization', user())
        .expect(200);
      expect(announced).toEqual([APPLIANCES_CHANGED_TOPIC]);
      const again = await request(server)
        .post('/api/appliances/channels/sample/refresh')
        .set('Authorization', user());
      expect(again.body.result).toBe('not-modified');
      expect(announced).toEqual([APPLIANCES_CHANGED_TOPIC]);
    });

    it('refreshes the configured sample channel and lists its appliances to users and services', async () => {
      const server = await start();
      const refreshed = await request(server)
        .post('/api/appliances/channels/sample/refresh')
        .set('Authorization', user());
      expect(refreshed.status).toBe(200);
      expect(refreshed.body).toMatchObject({
        result: 'ok',
        appliances: 9,
        itemErrors: [],
      });
      expect(refreshed.body.channel.status).toMatchObject({
        result: 'ok',
        title: 'Tempest sample channel',
      });

      const list = await request(server)
        .get('/api/appliances/appliances?limit=5&offset=0')
        .set('Authorization', service());
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({ totalCount: 9, offset: 0, limit: 5 });
      expect(list.body.items).toHaveLength(5);

      const dns = await request(server)
        .get('/api/appliances/appliances?q=dnsmasq&ostype=linux&channel=sample')
        .set('Authorization', user());
      expect(dns.body.items.map((a: any) => a.provides)).toEqual(['dns']);

      const detail = await request(server)
        .get('/api/appliances/appliances/sample.webserv.1.0.0-0')
        .set('Authorization', user());
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({
        label: 'Simple Web Server',
        latest: false,
        webpanel: '/panel/',
        signature: { state: 'verified', provisionable: true },
        hardware: { cpus: 1, memoryKib: 524288, ostype: 'linux' },
        versions: [
          { id: 'sample.webserv.1.1.0-0', latest: true },
          { id: 'sample.webserv.1.0.0-0', latest: false },
        ],
        unresolvedDependencies: [],
      });

      const facets = await request(server)
        .get('/api/appliances/appliance-facets')
        .set('Authorization', user());
      expect(facets.body).toMatchObject({
        ostypes: ['linux'],
        channels: ['sample'],
      });

      const summary = await request(server)
        .get('/api/appliances/summary')
        .set('Authorization', service());
      expect(summary.body).toMatchObject({ channels: 1, appliances: 9 });

      const again = await request(server)
        .post('/api/appliances/channels/sample/refresh')
        .set('Authorization', user());
      expect(again.body.result).toBe('not-modified');
    });

    it('answers 404 for an unknown appliance and 400 for bad query values', async () => {
      const server = await start();
      const missing = await request(server)
        .get('/api/appliances/appliances/nope')
        .set('Authorization', user());
      expect(missing.status).toBe(404);
      const bad = await request(server)
        .get('/api/appliances/appliances?limit=100000')
        .set('Authorization', user());
      expect(bad.status).toBe(400);
      const badChannel = await request(server)
        .get('/api/appliances/appliances?channel=../x')
        .set('Authorization', user());
      expect(badChannel.status).toBe(400);
    });

    it('lets admins subscribe and remove API channels, but not config ones', async () => {
      const server = await start();
      const created = await request(server)
        .post('/api/appliances/channels')
        .set('Authorization', user())
        .send({
          id: 'extra',
          url: channelServer.url('/sample/feed.xml'),
          owner: 'group:default/ops',
        });
      expect(created.status).toBe(201);
      expect(created.body.status).toEqual({ itemErrors: [] });

      const refused = await request(server)
        .delete('/api/appliances/channels/sample')
        .set('Authorization', user());
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/appliances\.channels/);

      const removed = await request(server)
        .delete('/api/appliances/channels/extra')
        .set('Authorization', user());
      expect(removed.status).toBe(204);
      const gone = await request(server)
        .delete('/api/appliances/channels/extra')
        .set('Authorization', user());
      expect(gone.status).toBe(404);
    });

    it('refuses channel management to non-admins and to services', async () => {
      const server = await start(AuthorizeResult.DENY);
      for (const call of [
        request(server)
          .post('/api/appliances/channels/sample/refresh')
          .set('Authorization', user()),
        request(server)
          .delete('/api/appliances/channels/sample')
          .set('Authorization', user()),
        request(server)
          .post('/api/appliances/channels')
          .set('Authorization', user())
          .send({
            id: 'x',
            url: 'https://example.com/feed.xml',
            owner: 'group:default/a',
          }),
      ]) {
        expect((await call).status).toBe(403);
      }
      const asService = await request(server)
        .post('/api/appliances/channels/sample/refresh')
        .set('Authorization', service());
      expect(asService.status).toBe(403);
      const anonymous = await request(server)
        .get('/api/appliances/appliances')
        .set('Authorization', mockCredentials.none.header());
      expect(anonymous.status).toBe(401);
    });

    it('serves channel files without sign-in, and nothing outside a channel', async () => {
      const server = await start();
      const feed = await request(server).get(
        '/api/appliances/static/channels/sample/feed.xml',
      );
      expect(feed.status).toBe(200);
      expect(feed.headers.etag).toBeTruthy();
      const unchanged = await request(server)
        .get('/api/appliances/static/channels/sample/feed.xml')
        .set('If-None-Match', feed.headers.etag);
      expect(unchanged.status).toBe(304);
      for (const p of [
        'TEST-ONLY-signing-key/secret-key.TEST-ONLY.asc',
        'sample/..%2F..%2Fpackage.json',
        'sample/build-sample.mjs',
        'sample/.hidden.xml',
      ]) {
        const res = await request(server).get(
          `/api/appliances/static/channels/${p}`,
        );
        expect([400, 404]).toContain(res.status);
        expect(res.text).not.toMatch(/PRIVATE KEY/);
      }
    });
  },
);
