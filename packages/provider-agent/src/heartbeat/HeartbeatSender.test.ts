import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestAgent } from '../testing/startTestAgent';

describe('heartbeat', () => {
  it('posts name, info and stats to the backend, and tolerates the backend being down', async () => {
    const received: any[] = [];
    const backend = http.createServer((req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        received.push({
          auth: req.headers.authorization,
          body: JSON.parse(body),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>(r => backend.listen(0, '127.0.0.1', r));
    const port = (backend.address() as AddressInfo).port;
    const t = await startTestAgent({
      name: 'sim-host-2',
      backend: {
        heartbeatUrl: `http://127.0.0.1:${port}/api/appliances/hosts/heartbeat`,
        heartbeatIntervalSeconds: 3600,
        token: 'secret',
      },
    });
    try {
      const heartbeat = t.agent.heartbeat!;
      expect(await heartbeat.beat()).toBe(true);
      const last = received[received.length - 1];
      expect(last.auth).toBe('Bearer secret');
      expect(last.body).toMatchObject({
        name: 'sim-host-2',
        agentUrl: t.agent.url,
        info: { name: 'sim-host-2', driver: 'simulated', cpu: { count: 16 } },
        stats: { host: { cpuPercent: expect.any(Number) }, domains: [] },
      });

      await new Promise<void>(r => backend.close(() => r()));
      expect(await heartbeat.beat()).toBe(false);
      // The agent keeps answering while its backend is away.
      expect((await t.client.GET('/v1/info')).response.status).toBe(200);
    } finally {
      await t.close();
      backend.close();
    }
  });
});
