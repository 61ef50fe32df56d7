import http from 'node:http';
import { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export type Route =
  | string
  | Buffer
  | ((req: http.IncomingMessage, res: http.ServerResponse) => void);

/**
 * A channel server for tests, on 127.0.0.1 only. Static bodies answer ETag
 * and Last-Modified and honour conditional requests; functions answer as they like.
 */
export async function startChannelServer(routes: Record<string, Route>) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(
      `${req.method} ${req.url}${req.headers['if-none-match'] ? ' (conditional)' : ''}`,
    );
    const route = routes[req.url!.split('?')[0]];
    if (route === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    if (typeof route === 'function') {
      route(req, res);
      return;
    }
    const body = Buffer.isBuffer(route) ? route : Buffer.from(route);
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, {
      etag,
      'last-modified': 'Mon, 23 Nov 2026 12:00:00 GMT',
      'content-type': 'application/xml',
      'content-length': body.length,
    });
    res.end(body);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    requests,
    routes,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
