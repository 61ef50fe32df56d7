import fs from 'node:fs';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createTestPki } from '@tempest/provider-agent/testing';
import { AgentConnector } from '../hosts/AgentConnector';
import { Instance } from './InstanceStore';
import { runActionOnAgent } from './runActionOnAgent';

/**
 * An agent whose guest takes `shutdownMs` to shut down: it answers the
 * shutdown only then, as the real agent does, and records what it was sent.
 */
async function slowShutdownAgent(shutdownMs: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-stop-'));
  const pki = await createTestPki(dir);
  const received: Array<{ url?: string; headers: Record<string, unknown> }> =
    [];
  const server = https.createServer(
    { key: pki.server.key, cert: pki.server.cert },
    (req, res) => {
      received.push({ url: req.url, headers: req.headers });
      req.resume();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: 'i-web-1', state: 'shutoff' }));
      }, shutdownMs);
    },
  );
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const host = {
    id: 'h1',
    name: 'host-1',
    agentUrl: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    agentCertificateFingerprint: new X509Certificate(pki.server.cert)
      .fingerprint256,
  };
  return {
    pki,
    host,
    received,
    close: () => {
      server.closeAllConnections();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('runActionOnAgent', () => {
  it("waits for a stop as long as the agent waits for the guest's shutdown, not the client's shorter timeout", async () => {
    const agent = await slowShutdownAgent(1_500);
    try {
      // Every other call gives up after 500 ms of silence; the guest is given 2 s.
      const connector = new AgentConnector(
        { ca: agent.pki.ca, client: agent.pki.client },
        { timeoutMs: 500 },
      );
      const client = connector.forHost(agent.host);
      const instance = { id: 'web-1', domainName: 'i-web-1' } as Instance;

      await expect(
        runActionOnAgent(client, instance, 'stop', 2),
      ).resolves.toBeUndefined();
      expect(agent.received).toHaveLength(1);
      expect(agent.received[0].url).toBe('/v1/domains/i-web-1/shutdown');
      // The call's own timeout stays with the client.
      expect(
        Object.keys(agent.received[0].headers).filter(h =>
          h.startsWith('x-tempest'),
        ),
      ).toEqual([]);

      // Any other call still gives up at the client's timeout.
      await expect(
        runActionOnAgent(client, instance, 'start', 2),
      ).rejects.toThrow('agent call timed out');
      client.close();
    } finally {
      agent.close();
    }
  });
});
