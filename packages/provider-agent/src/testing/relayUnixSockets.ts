import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

/**
 * What the agents' migration tunnels do, without the agents: each
 * connection to a `listen` socket is joined to a new connection to its
 * `connect` socket. For hypervisor tests of live moves.
 */
export async function relayUnixSockets(
  pairs: Array<{ listen: string; connect: string }>,
): Promise<{ close(): Promise<void> }> {
  const servers: net.Server[] = [];
  const open = new Set<net.Socket>();
  for (const { listen, connect } of pairs) {
    await fs.mkdir(path.dirname(listen), { recursive: true });
    const server = net.createServer({ pauseOnConnect: true }, a => {
      const b = net.connect(connect);
      for (const s of [a, b]) {
        open.add(s);
        s.once('close', () => open.delete(s));
        s.on('error', () => {
          a.destroy();
          b.destroy();
        });
      }
      a.on('close', () => b.destroy());
      b.on('close', () => a.destroy());
      b.once('connect', () => {
        a.pipe(b);
        b.pipe(a);
        a.resume();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen, () => resolve());
    });
  }
  return {
    close: async () => {
      for (const s of open) s.destroy();
      await Promise.all(
        servers.map(s => new Promise(resolve => s.close(resolve))),
      );
    },
  };
}
