import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createAddressPolicy, guardedAgent } from '@tempest/outbound-guard';
import { migrateDatabase } from '../database/migrateDatabase';
import { ImageDigests } from './ImageDigests';

const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

describe('ImageDigests', () => {
  it('hashes an image once, following redirects, and refuses oversized ones', async () => {
    const body = Buffer.alloc(300_000, 7);
    let hits = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/image' }).end();
        return;
      }
      hits++;
      res.end(body);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const knex = await databases.init('SQLITE_3');
      const db = await migrateDatabase(mockServices.database({ knex }));
      // By default an image on a loopback address is not fetched at all.
      await expect(
        new ImageDigests(db, { maxBytes: 1_000_000, timeoutMs: 5000 }).digest(
          `${base}/moved`,
        ),
      ).rejects.toThrow(/loopback address/);
      expect(hits).toBe(0);
      const dispatcher = guardedAgent(
        createAddressPolicy({ allow: ['127.0.0.1/32'] }),
      );
      const digests = new ImageDigests(db, {
        maxBytes: 1_000_000,
        timeoutMs: 5000,
        dispatcher,
      });
      const expected = createHash('sha256').update(body).digest('hex');
      expect(await digests.digest(`${base}/moved`)).toEqual({
        sha256: expected,
        sizeBytes: body.length,
      });
      expect(await digests.digest(`${base}/moved`)).toEqual({
        sha256: expected,
        sizeBytes: body.length,
      });
      expect(hits).toBe(1);
      const small = new ImageDigests(db, {
        maxBytes: 1000,
        timeoutMs: 5000,
        dispatcher,
      });
      await expect(small.digest(`${base}/image`)).rejects.toThrow(
        /larger than 1000 bytes/,
      );
    } finally {
      server.close();
    }
  });
});
