import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadAgentConfig } from './AgentConfig';

describe('loadAgentConfig', () => {
  it('layers defaults, the YAML file and flags, resolving paths against the file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'agent.yaml');
    await fs.writeFile(
      file,
      [
        'name: host-1',
        'dataDir: data',
        'driver: simulated',
        'listen: { port: 9443 }',
        'tls: { cert: tls/host.crt, key: tls/host.key, ca: tls/ca.crt }',
        'backend: { heartbeatUrl: "http://localhost:7007/api/appliances/heartbeat" }',
      ].join('\n'),
    );
    const config = loadAgentConfig({
      file,
      overrides: {
        listen: { port: 0 },
        hypervisor: { uri: 'test:///default' },
      },
    });
    expect(config).toMatchObject({
      name: 'host-1',
      dataDir: path.join(dir, 'data'),
      driver: 'simulated',
      listen: { host: '127.0.0.1', port: 0 },
      hypervisor: { uri: 'test:///default' },
      tls: {
        cert: path.join(dir, 'tls/host.crt'),
        ca: path.join(dir, 'tls/ca.crt'),
      },
      backend: { heartbeatIntervalSeconds: 15 },
      downloads: { stallTimeoutSeconds: 30 },
    });
  });

  it('refuses what it cannot run with', () => {
    const tls = { cert: '/c', key: '/k', ca: '/a' };
    expect(() =>
      loadAgentConfig({ overrides: { tls, driver: 'xen' as any } }),
    ).toThrow(/driver/);
    expect(() => loadAgentConfig({ overrides: {} })).toThrow(/tls/);
    expect(() => loadAgentConfig({ overrides: { tls, name: 'a/b' } })).toThrow(
      /name/,
    );
    expect(() =>
      loadAgentConfig({ overrides: { tls, agentUrl: 'http://host:7443' } }),
    ).toThrow(/agentUrl must be an https URL/);
    expect(
      loadAgentConfig({ overrides: { tls, agentUrl: 'https://host:7443' } })
        .agentUrl,
    ).toBe('https://host:7443');
  });
});
