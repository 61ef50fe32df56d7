import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body: Buffer;
  /** Send this many bytes, then stop sending (the connection stays open). */
  stallAfter?: number;
  /** Advertise this Content-Length instead of the real one. */
  contentLength?: number;
  /** Bytes per second, to keep a download running long enough to watch. */
  bytesPerSecond?: number;
}

/** A channel-like HTTP server for image downloads, with stalls and throttling on demand. */
export async function startImageServer() {
  const files = new Map<string, ServedFile>();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer(async (req, res) => {
    const file = files.get(req.url ?? '');
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(file.contentLength ?? file.body.length),
    });
    res.flushHeaders();
    const end = file.stallAfter ?? file.body.length;
    const chunk = file.bytesPerSecond
      ? Math.max(1, Math.floor(file.bytesPerSecond / 20))
      : end;
    for (let offset = 0; offset < end && !res.destroyed; offset += chunk) {
      res.write(file.body.subarray(offset, Math.min(end, offset + chunk)));
      if (file.bytesPerSecond) await new Promise(r => setTimeout(r, 50));
    }
    if (file.stallAfter === undefined) res.end();
  });
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    files,
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
