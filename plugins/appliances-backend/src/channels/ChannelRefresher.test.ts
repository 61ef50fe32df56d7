import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { Agent } from 'undici';
import * as openpgp from 'openpgp';
import { migrateDatabase } from '../database/migrateDatabase';
import { ChannelStore } from '../database/ChannelStore';
import { ApplianceStore } from '../database/ApplianceStore';
import { ApplianceDirectory } from '../appliances/ApplianceDirectory';
import { ChannelRefresher } from './ChannelRefresher';
import { startChannelServer } from './testChannelServer';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

function definition(provides: string, version: string, extra = '') {
  return `<?xml version='1.0'?>
<appliance version='1.0'>
  <label>${provides} appliance</label>
  <description>The ${provides} service.</description>
  <version>${version}</version>
  <size>64</size>
  <url>${provides}-${version}.tgz</url>
  <sig>${provides}-${version}.tgz.asc</sig>
  <provides>${provides}</provides>
  <hardware><cpus>1</cpus><memory>262144</memory><ostype>linux</ostype>
    <disk name="vda" type="system" file="sys.img"/></hardware>
  ${extra}
</appliance>`;
}

function feed(names: string[]) {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Test channel</title>${names
    .map(n => `<item><guid>${n}</guid><link>${n}.xml</link></item>`)
    .join('')}</channel></rss>`;
}

async function signer() {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: 'test' }],
    format: 'armored',
  });
  const key = await openpgp.readPrivateKey({ armoredKey: privateKey });
  return {
    publicKey,
    sign: async (data: Buffer) =>
      openpgp.sign({
        message: await openpgp.createMessage({ binary: new Uint8Array(data) }),
        signingKeys: key,
        detached: true,
        format: 'armored',
      }) as Promise<string>,
  };
}

describe.each(databases.eachSupportedId())(
  'ChannelRefresher on %s',
  databaseId => {
    const dispatcher = new Agent();
    let server: Awaited<ReturnType<typeof startChannelServer>>;
    let trusted: Awaited<ReturnType<typeof signer>>;
    let stranger: Awaited<ReturnType<typeof signer>>;

    beforeAll(async () => {
      [trusted, stranger] = await Promise.all([signer(), signer()]);
    });
    afterAll(() => dispatcher.close());

    beforeEach(async () => {
      const image = (name: string) => Buffer.from(`image bytes of ${name}`);
      const routes: Record<string, any> = {
        '/feed.xml': feed(['web-1', 'web-2', 'mail', 'bad', 'xxe', 'dup']),
        '/web-1.xml': definition(
          'webserv',
          '1.0.0-0',
          '<dependency>firewall</dependency>',
        ),
        '/web-2.xml': definition(
          'webserv',
          '1.1.0-0',
          '<dependency>mailrelay:1.0</dependency>',
        ),
        '/mail.xml': definition('mailrelay', '3.7.11-1'),
        '/bad.xml': definition('dns', '9.18').replace(
          '<cpus>1</cpus>',
          '<cpus>many</cpus>',
        ),
        '/xxe.xml': `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>${definition('ldap', '2.5').replace("<?xml version='1.0'?>", '').replace('ldap appliance', '&x;')}`,
        '/dup.xml': definition('mailrelay', '3.7.11-1'),
      };
      for (const [name, version] of [
        ['webserv', '1.0.0-0'],
        ['webserv', '1.1.0-0'],
        ['mailrelay', '3.7.11-1'],
      ]) {
        routes[`/${name}-${version}.tgz`] = image(`${name}-${version}`);
      }
      routes['/webserv-1.0.0-0.tgz.asc'] = await trusted.sign(
        image('webserv-1.0.0-0'),
      );
      // Signed by the trusted key, but over other bytes.
      routes['/webserv-1.1.0-0.tgz.asc'] = await trusted.sign(
        Buffer.from('tampered'),
      );
      routes['/mailrelay-3.7.11-1.tgz.asc'] = await stranger.sign(
        image('mailrelay-3.7.11-1'),
      );
      server = await startChannelServer(routes);
    });
    afterEach(() => server.close());

    async function setup(trustedKeys: string[] = [trusted.publicKey]) {
      const knex = await databases.init(databaseId);
      const db = await migrateDatabase(mockServices.database({ knex }));
      const channels = new ChannelStore(db);
      const appliances = new ApplianceStore(db);
      await channels.create({
        id: 'test',
        url: server.url('/feed.xml'),
        owner: 'group:default/ops',
        trustedKeys,
        source: 'api',
      });
      const directory = new ApplianceDirectory(appliances, {
        allowUnsigned: false,
      });
      const refresher = new ChannelRefresher({
        db,
        channels,
        appliances,
        logger: mockServices.logger.mock(),
        feedLimits: { maxBytes: 1024 * 1024, timeoutMs: 2000, maxRedirects: 3 },
        definitionLimits: {
          maxBytes: 64 * 1024,
          timeoutMs: 2000,
          maxRedirects: 3,
        },
        verifyImagesUpToBytes: 1024 * 1024,
        maxItems: 1000,
        concurrency: 4,
        dispatcher,
        onIngested: () => directory.invalidate(),
      });
      return { channels, appliances, refresher, directory };
    }

    it('ingests good items, reports bad ones by item and field, and checks signatures', async () => {
      const { channels, refresher, directory } = await setup();
      const outcome = await refresher.refresh('test');
      expect(outcome).toMatchObject({ result: 'ok', appliances: 3 });

      const channel = (await channels.get('test'))!;
      expect(channel.status).toMatchObject({
        result: 'ok',
        title: 'Test channel',
      });
      const errors = channel.status.itemErrors;
      expect(errors).toEqual(
        expect.arrayContaining([
          {
            item: 'bad',
            field: 'hardware.cpus',
            message: 'expected a whole number of CPUs, got "many"',
          },
          {
            item: 'xxe',
            field: 'document',
            message: expect.stringMatching(/DOCTYPE/),
          },
          {
            item: 'dup',
            field: 'provides',
            message: expect.stringMatching(/unique provides and version/),
          },
          {
            item: 'web-2',
            field: 'sig',
            message: expect.stringMatching(/does not verify/),
          },
          {
            item: 'mail',
            field: 'sig',
            message: expect.stringMatching(/trusted keys/),
          },
        ]),
      );
      expect(JSON.stringify(errors)).not.toMatch(/root:x:0/);

      const { items, totalCount } = await directory.list({
        offset: 0,
        limit: 10,
      });
      expect(totalCount).toBe(3);
      const byId = Object.fromEntries(items.map(a => [a.id, a]));
      expect(byId['test.webserv.1.0.0-0']).toMatchObject({
        latest: false,
        signature: { state: 'verified', provisionable: true },
        unresolvedDependencies: ['firewall'],
      });
      expect(byId['test.webserv.1.1.0-0']).toMatchObject({
        latest: true,
        signature: { state: 'invalid', provisionable: false },
        dependencies: [
          {
            name: 'mailrelay',
            version: '1.0',
            resolvedId: 'test.mailrelay.3.7.11-1',
          },
        ],
        unresolvedDependencies: [],
      });
      expect(byId['test.mailrelay.3.7.11-1'].signature.state).toBe('untrusted');

      const detail = await directory.get('test.webserv.1.0.0-0');
      expect(detail.versions.map(v => v.version)).toEqual([
        '1.1.0-0',
        '1.0.0-0',
      ]);
    });

    it('marks appliances of a channel without trusted keys unsigned and not provisionable', async () => {
      const { refresher, directory } = await setup([]);
      await refresher.refresh('test');
      const { items } = await directory.list({ offset: 0, limit: 10 });
      expect(items.map(a => a.signature)).toEqual(
        items.map(() => ({ state: 'unsigned', provisionable: false })),
      );
    });

    it('costs one 304 when the feed is unchanged', async () => {
      const { channels, refresher } = await setup();
      await refresher.refresh('test');
      server.requests.length = 0;
      expect(await refresher.refresh('test')).toEqual({
        result: 'not-modified',
      });
      expect(server.requests).toEqual(['GET /feed.xml (conditional)']);
      expect((await channels.get('test'))!.status.result).toBe('not-modified');
    });

    it('changes nothing already ingested when a fetch fails', async () => {
      const { channels, appliances, refresher } = await setup();
      await refresher.refresh('test');
      const before = await appliances.listByChannel('test');
      const errorsBefore = (await channels.get('test'))!.status.itemErrors;

      for (const broken of [
        (_req: any, res: any) => res.writeHead(500).end(),
        '<html>not a feed</html>',
        '\u0000\u0001binary',
        (_req: any, res: any) =>
          res.writeHead(302, { location: 'file:///etc/passwd' }).end(),
      ]) {
        server.routes['/feed.xml'] = broken;
        const outcome = await refresher.refresh('test', { force: true });
        expect(outcome.result).toBe('failed');
        expect(await appliances.listByChannel('test')).toEqual(before);
        const status = (await channels.get('test'))!.status;
        expect(status).toMatchObject({
          result: 'failed',
          error: expect.any(String),
        });
        expect(status.itemErrors).toEqual(errorsBefore);
      }
    });

    it('keeps an item whose definition cannot be fetched, and drops one that left the feed', async () => {
      const { appliances, refresher } = await setup();
      await refresher.refresh('test');
      server.routes['/web-1.xml'] = (_req, res) => res.writeHead(503).end();
      server.routes['/feed.xml'] = feed(['web-1', 'mail']);
      const outcome = await refresher.refresh('test');
      expect(outcome).toMatchObject({ result: 'ok', appliances: 2 });
      expect((await appliances.listByChannel('test')).map(a => a.id)).toEqual([
        'test.mailrelay.3.7.11-1',
        'test.webserv.1.0.0-0',
      ]);
    });

    it('filters and pages appliances', async () => {
      const { refresher, directory } = await setup();
      await refresher.refresh('test');
      expect(
        (await directory.list({ q: 'MAILRELAY', offset: 0, limit: 10 }))
          .totalCount,
      ).toBe(1);
      expect(
        (await directory.list({ q: '100%_', offset: 0, limit: 10 })).totalCount,
      ).toBe(0);
      expect(
        (await directory.list({ provides: 'webserv', offset: 0, limit: 10 }))
          .totalCount,
      ).toBe(2);
      expect(
        (await directory.list({ ostype: 'windows', offset: 0, limit: 10 }))
          .totalCount,
      ).toBe(0);
      const page = await directory.list({ offset: 1, limit: 1 });
      expect(page).toMatchObject({
        totalCount: 3,
        items: [expect.any(Object)],
      });
    });

    it('removes a channel with its appliances', async () => {
      const { channels, appliances, refresher } = await setup();
      await refresher.refresh('test');
      await channels.delete('test');
      expect(await appliances.count()).toBe(0);
      await expect(channels.delete('test')).rejects.toThrow(/No channel/);
    });
  },
);
