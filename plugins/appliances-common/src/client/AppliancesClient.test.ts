import http from 'node:http';
import { AddressInfo } from 'node:net';
import { AppliancesApiError, AppliancesClient } from './AppliancesClient';

describe('AppliancesClient', () => {
  let server: http.Server;
  let baseUrl: string;
  const seen: { method?: string; url?: string; auth?: string; body: string }[] =
    [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          body,
        });
        res.setHeader('content-type', 'application/json');
        if (req.url === '/api/appliances/summary') {
          res.end(JSON.stringify({ channels: 2 }));
        } else if (
          req.url === '/api/appliances/channels' &&
          req.method === 'POST'
        ) {
          res.statusCode = 409;
          res.end(
            JSON.stringify({
              error: {
                name: 'ConflictError',
                message: "Channel 'x' already exists",
              },
            }),
          );
        } else {
          res.statusCode = 500;
          res.end('not json');
        }
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/appliances`;
  });

  afterAll(() => new Promise(resolve => server.close(resolve)));

  function client() {
    return new AppliancesClient({
      discoveryApi: {
        getBaseUrl: async id => baseUrl.replace('appliances', id),
      },
      fetchApi: {
        fetch: (input, init) => {
          const req = new Request(input as Request, init);
          req.headers.set('authorization', 'Bearer test-token');
          return fetch(req);
        },
      },
    });
  }

  it('calls the plugin base URL through the given fetch and returns typed data', async () => {
    await expect(client().getSummary()).resolves.toEqual({ channels: 2 });
    expect(seen.at(-1)).toMatchObject({
      method: 'GET',
      url: '/api/appliances/summary',
      auth: 'Bearer test-token',
    });
  });

  it('turns an error answer into an AppliancesApiError with the backend message', async () => {
    const error = await client()
      .createChannel({
        id: 'x',
        url: 'http://a/feed.xml',
        owner: 'group:default/a',
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(AppliancesApiError);
    expect(error.status).toBe(409);
    expect(error.message).toBe("Channel 'x' already exists");
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({
      id: 'x',
      url: 'http://a/feed.xml',
      owner: 'group:default/a',
    });
  });

  it('reports the status when the error answer is not JSON', async () => {
    const error = await client()
      .listChannels()
      .catch(e => e);
    expect(error).toBeInstanceOf(AppliancesApiError);
    expect(error.status).toBe(500);
  });

  it('sends a body through a fetch that builds a Request from its input more than once', async () => {
    // Backstage's fetchApi does: its plugin-protocol middleware builds a
    // Request from the input to read the URL, then hands the same input on to
    // the auth middleware, which builds another. A Request input with a body
    // can be read only once, so the client must hand over a URL and init.
    const backstageLike = new AppliancesClient({
      discoveryApi: { getBaseUrl: async () => baseUrl },
      fetchApi: {
        fetch: (input, init) => {
          void new Request(input as Request, init).url;
          const req = new Request(input as Request, init);
          req.headers.set('authorization', 'Bearer test-token');
          return fetch(req);
        },
      },
    });
    const error = await backstageLike
      .createChannel({ id: 'y', url: 'http://a/feed.xml', owner: 'user:a' })
      .catch(e => e);
    expect(error.status).toBe(409);
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      auth: 'Bearer test-token',
    });
    expect(JSON.parse(seen.at(-1)!.body)).toMatchObject({ id: 'y' });
  });
});
