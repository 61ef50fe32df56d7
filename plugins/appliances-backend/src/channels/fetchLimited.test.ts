import { Agent } from 'undici';
import { FetchError, fetchLimited } from './fetchLimited';
import { startChannelServer } from './testChannelServer';

const limits = { maxBytes: 1024 * 1024, timeoutMs: 2000, maxRedirects: 3 };

describe('fetchLimited', () => {
  let server: Awaited<ReturnType<typeof startChannelServer>>;
  const dispatcher = new Agent();

  beforeAll(async () => {
    server = await startChannelServer({
      '/feed.xml': '<rss version="2.0"><channel/></rss>',
      '/loop-a': (_req, res) =>
        res.writeHead(302, { location: '/loop-b' }).end(),
      '/loop-b': (_req, res) =>
        res.writeHead(302, { location: '/loop-a' }).end(),
      '/to-file': (_req, res) =>
        res.writeHead(301, { location: 'file:///etc/passwd' }).end(),
      '/hop1': (_req, res) => res.writeHead(302, { location: '/hop2' }).end(),
      '/hop2': (_req, res) =>
        res.writeHead(302, { location: '/feed.xml' }).end(),
      '/chain1': (_req, res) =>
        res.writeHead(302, { location: '/chain2' }).end(),
      '/chain2': (_req, res) =>
        res.writeHead(302, { location: '/chain3' }).end(),
      '/chain3': (_req, res) =>
        res.writeHead(302, { location: '/chain4' }).end(),
      '/chain4': (_req, res) =>
        res.writeHead(302, { location: '/feed.xml' }).end(),
      // 50 MB streamed without a content-length: the limit must stop it early.
      '/huge': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let sent = 0;
        const write = () => {
          while (sent < 50 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', write);
              return;
            }
          }
          res.end();
        };
        res.on('close', () => (sent = Infinity));
        write();
      },
      '/declared-huge': (_req, res) => {
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        res.write('x');
      },
      '/slow': (_req, res) => {
        res.writeHead(200);
        res.write('<rss');
      },
      '/error': (_req, res) => res.writeHead(500).end('boom'),
    });
  });
  afterAll(async () => {
    await server.close();
    await dispatcher.close();
  });

  it('fetches a body with its validators, and a 304 when unchanged', async () => {
    const first = await fetchLimited(
      server.url('/feed.xml'),
      limits,
      {},
      dispatcher,
    );
    expect(first).toMatchObject({
      status: 'ok',
      etag: expect.any(String),
      lastModified: 'Mon, 23 Nov 2026 12:00:00 GMT',
    });
    if (first.status !== 'ok') throw new Error('unreachable');
    expect(first.body.toString()).toContain('<rss');
    const second = await fetchLimited(
      server.url('/feed.xml'),
      limits,
      { etag: first.etag },
      dispatcher,
    );
    expect(second.status).toBe('not-modified');
  });

  it('follows a few redirects and reports where it ended', async () => {
    const res = await fetchLimited(server.url('/hop1'), limits, {}, dispatcher);
    expect(res.url).toBe(server.url('/feed.xml'));
  });

  it('stops at the redirect limit and on loops', async () => {
    await expect(
      fetchLimited(server.url('/chain1'), limits, {}, dispatcher),
    ).rejects.toThrow(/more than 3 redirects/);
    await expect(
      fetchLimited(server.url('/loop-a'), limits, {}, dispatcher),
    ).rejects.toThrow(/redirect loop/);
  });

  it('refuses redirects and URLs that are not http(s)', async () => {
    await expect(
      fetchLimited(server.url('/to-file'), limits, {}, dispatcher),
    ).rejects.toThrow(/non-http/);
    await expect(
      fetchLimited('file:///etc/passwd', limits, {}, dispatcher),
    ).rejects.toThrow(FetchError);
    await expect(
      fetchLimited('gopher://127.0.0.1/', limits, {}, dispatcher),
    ).rejects.toThrow(/http or https/);
  });

  it('stops a 50 MB body at the size limit while it streams', async () => {
    const before = process.memoryUsage().rss;
    const started = Date.now();
    await expect(
      fetchLimited(server.url('/huge'), limits, {}, dispatcher),
    ).rejects.toThrow(/exceeds the limit of 1048576 bytes/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
    await expect(
      fetchLimited(server.url('/declared-huge'), limits, {}, dispatcher),
    ).rejects.toThrow(/52428800 bytes exceeds/);
  });

  it('times out a server that never finishes', async () => {
    await expect(
      fetchLimited(
        server.url('/slow'),
        { ...limits, timeoutMs: 300 },
        {},
        dispatcher,
      ),
    ).rejects.toThrow(/within 300 ms/);
  });

  it('reports HTTP errors and refused connections', async () => {
    await expect(
      fetchLimited(server.url('/error'), limits, {}, dispatcher),
    ).rejects.toThrow(/HTTP 500/);
    await expect(
      fetchLimited('http://127.0.0.1:1/feed.xml', limits, {}, dispatcher),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
