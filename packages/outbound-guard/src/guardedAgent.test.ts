import http from 'node:http';
import { AddressInfo } from 'node:net';
import { interceptors, request } from 'undici';
import { createAddressPolicy } from './addressPolicy';
import { guardedAgent } from './guardedAgent';

/** A server on 127.0.0.1 that answers `ok`, or redirects /to?url=… there. */
async function startServer() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/to') {
      res.writeHead(302, { location: url.searchParams.get('url')! });
      res.end();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise(r => server.close(r)) };
}

describe('guardedAgent', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  async function get(url: string, allow: string[] = [], redirects = 0) {
    const agent = guardedAgent(createAddressPolicy({ allow }));
    try {
      const dispatcher = redirects
        ? agent.compose(interceptors.redirect({ maxRedirections: redirects }))
        : agent;
      const res = await request(url, { dispatcher });
      return { status: res.statusCode, body: await res.body.text() };
    } finally {
      await agent.close();
    }
  }

  it('refuses an IP literal it may not reach, without connecting', async () => {
    await expect(get(`http://127.0.0.1:${server.port}/`)).rejects.toMatchObject(
      {
        code: 'ERR_ADDRESS_REFUSED',
      },
    );
    await expect(
      get('http://169.254.169.254/latest/meta-data/'),
    ).rejects.toThrow(/169\.254\.169\.254 is a link-local address/);
    await expect(
      get(`http://[::ffff:127.0.0.1]:${server.port}/`),
    ).rejects.toThrow(/loopback/);
  });

  it('refuses a name whose DNS answer it may not reach', async () => {
    await expect(get(`http://localhost:${server.port}/`)).rejects.toThrow(
      /localhost was not contacted: .* loopback address/,
    );
  });

  it('connects where allowed', async () => {
    expect(
      await get(`http://127.0.0.1:${server.port}/`, ['127.0.0.1/32']),
    ).toEqual({
      status: 200,
      body: 'ok',
    });
    expect(
      await get(`http://localhost:${server.port}/`, [
        '127.0.0.1/32',
        '::1/128',
      ]),
    ).toEqual({ status: 200, body: 'ok' });
  });

  it('checks every redirect hop', async () => {
    // 127.0.0.1 is allowed; the redirect aims at the metadata address.
    const hop = `http://127.0.0.1:${server.port}/to?url=${encodeURIComponent(
      'http://169.254.169.254/latest/meta-data/',
    )}`;
    await expect(get(hop, ['127.0.0.1/32'], 3)).rejects.toThrow(/link-local/);
  });
});
