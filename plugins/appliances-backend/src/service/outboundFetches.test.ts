import {
  TestDatabases,
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { appliancesPlugin } from '../plugin';
import { startChannelServer } from '../channels/testChannelServer';

jest.setTimeout(60_000);

/**
 * Channel fetches cannot be aimed inward: a feed, definition or signature on a
 * loopback, private or link-local address is refused unless a configured
 * range allows it, on the DNS answer and at every redirect.
 */
const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
const sampleDir = path.resolve(
  __dirname,
  '../../../../catalog/channels/sample',
);

const definition = fs.readFileSync(path.join(sampleDir, 'dns.xml'), 'utf8');
const feed = (items: string[]) => `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Inward</title><link>http://x/</link><description>d</description>
${items.map((link, i) => `<item><title>item ${i}</title><link>${link}</link></item>`).join('\n')}
</channel></rss>`;

describe('outbound fetches of channels', () => {
  let channelServer: Awaited<ReturnType<typeof startChannelServer>>;
  beforeAll(async () => {
    channelServer = await startChannelServer({
      '/feed.xml': feed(['/dns.xml']),
      '/dns.xml': definition,
      // An item whose definition sits on the cloud metadata address.
      '/metadata-feed.xml': feed([
        'http://169.254.169.254/latest/meta-data/dns.xml',
      ]),
      // A feed that redirects to another loopback address (not allowed).
      '/moved.xml': (req, res) => {
        const port = (req.socket.localPort ?? 0).toString();
        res.writeHead(302, { location: `http://127.0.0.2:${port}/feed.xml` });
        res.end();
      },
    });
  });
  afterAll(() => channelServer.close());

  async function start(allowedPrivateNetworks?: string[]) {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startTestBackend({
      features: [
        appliancesPlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            appliances: {
              schedule: {
                frequency: { hours: 24 },
                timeout: { minutes: 5 },
                initialDelay: { hours: 24 },
              },
              fetch: {
                timeoutSeconds: 5,
                ...(allowedPrivateNetworks ? { allowedPrivateNetworks } : {}),
              },
            },
          },
        }),
      ],
    });
    return async (id: string, url: string) => {
      const auth = mockCredentials.user.header();
      await request(server)
        .post('/api/appliances/channels')
        .set('Authorization', auth)
        .send({ id, url, owner: 'group:default/tempest-admins' })
        .expect(201);
      const res = await request(server)
        .post(`/api/appliances/channels/${id}/refresh?force=true`)
        .set('Authorization', auth);
      expect(res.status).toBe(200);
      return res.body;
    };
  }

  it('refuses a feed on loopback by default, by address and by name', async () => {
    const subscribe = await start();
    const byAddress = await subscribe(
      'by-address',
      channelServer.url('/feed.xml'),
    );
    expect(byAddress).toMatchObject({ result: 'failed' });
    expect(byAddress.error).toMatch(/127\.0\.0\.1 is a loopback address/);
    const byName = await subscribe(
      'by-name',
      channelServer.url('/feed.xml').replace('127.0.0.1', 'localhost'),
    );
    expect(byName).toMatchObject({ result: 'failed' });
    expect(byName.error).toMatch(/localhost was not contacted/);
    expect(channelServer.requests).toEqual([]);
  });

  it('fetches from an allowed range, and refuses what lies outside it there too', async () => {
    const subscribe = await start(['127.0.0.1/32']);
    expect(
      await subscribe('allowed', channelServer.url('/feed.xml')),
    ).toMatchObject({
      result: 'ok',
      appliances: 1,
    });
    const metadata = await subscribe(
      'metadata',
      channelServer.url('/metadata-feed.xml'),
    );
    expect(metadata.itemErrors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /169\.254\.169\.254 is a link-local address/,
        ),
      }),
    ]);
    const moved = await subscribe('moved', channelServer.url('/moved.xml'));
    expect(moved).toMatchObject({ result: 'failed' });
    expect(moved.error).toMatch(/127\.0\.0\.2 is a loopback address/);
  });
});
