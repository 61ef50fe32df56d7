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
    expect(() =>
      loadAgentConfig({
        overrides: {
          tls,
          networks: [
            { name: 'lan', mode: 'nat' },
            { name: 'lan', mode: 'bridged' },
          ],
        },
      }),
    ).toThrow(/networks names lan twice/);
  });
});

describe('the config file schema', () => {
  const write = async (lines: string[]) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const file = path.join(dir, 'agent.yaml');
    const tls = lines.some(l => /^(tls:|- )/.test(l))
      ? []
      : ['tls: { cert: c.crt, key: c.key, ca: ca.crt }'];
    await fs.writeFile(file, [...tls, ...lines].join('\n'));
    return file;
  };

  it.each([
    [['nmae: host-1'], /unknown key nmae/],
    [
      ['backend: { heartbeatIntervalSecond: 5 }'],
      /unknown key backend\.heartbeatIntervalSecond/,
    ],
    [['listen: { port: "7443" }'], /listen\.port must be integer/],
    [['listen: { port: 70000 }'], /listen\.port must be <= 65535/],
    [['driver: xen'], /driver must be one of libvirt, simulated/],
    [['simulated: { cpus: 2.5 }'], /simulated\.cpus must be integer/],
    [
      ['downloads: { stallTimeoutSeconds: 0 }'],
      /downloads\.stallTimeoutSeconds must be > 0/,
    ],
    [['name: "a/b"'], /name must be a host name/],
    [['logLevel: loud'], /logLevel must be one of fatal, error/],
    [
      ['tls: { cert: c.crt, key: c.key, ca: ca.crt, pasword: x }'],
      /unknown key tls\.pasword/,
    ],
    [['- just a list'], /the configuration must be object/],
    [
      ['networks: [{ name: lan, mode: routed }]'],
      /networks\.0\.mode must be one of nat, bridged/,
    ],
    [
      ['networks: [{ name: lan }]'],
      /networks\.0 must have required property 'mode'/,
    ],
    [
      ['networks: [{ name: lan, mode: nat, addressPool: 10.0.0.0/8 }]'],
      /networks\.0\.addressPool must be an IPv4 range/,
    ],
    [
      ['networks: [{ name: "a b", mode: nat }]'],
      /networks\.0\.name must be a name/,
    ],
  ])('stops start-up on %j, naming the key', async (lines, message) => {
    const file = await write(lines);
    expect(() => loadAgentConfig({ file })).toThrow(message);
    expect(() => loadAgentConfig({ file })).toThrow(
      `Invalid agent configuration in ${file}`,
    );
  });

  it('names every problem at once', async () => {
    const file = await write(['nmae: x', 'listen: { prot: 1 }']);
    expect(() => loadAgentConfig({ file })).toThrow(
      /unknown key nmae; unknown key listen\.prot/,
    );
  });

  it('holds flags to the same schema', () => {
    const tls = { cert: '/c', key: '/k', ca: '/a' };
    expect(() =>
      loadAgentConfig({ overrides: { tls, simulated: { cpus: Number('x') } } }),
    ).toThrow(/simulated\.cpus must be integer/);
    expect(() =>
      loadAgentConfig({
        overrides: { tls, backend: { heartbeatIntervalSeconds: -1 } },
      }),
    ).toThrow(/backend\.heartbeatIntervalSeconds must be > 0/);
  });

  it('accepts every key the README lists', async () => {
    const file = await write([
      'name: host-1',
      'agentUrl: https://host-1.example:7443',
      'listen: { host: 0.0.0.0, port: 7443 }',
      'dataDir: /var/lib/tempest-agent',
      'driver: simulated',
      'hypervisor: { uri: "qemu:///system", domainType: kvm }',
      'backend: { heartbeatUrl: "https://b.example/api/appliances/agent/heartbeat", heartbeatIntervalSeconds: 15, token: t }',
      'downloads: { stallTimeoutSeconds: 30, reserveBytes: 1073741824 }',
      'simulated: { cpus: 8, memoryMiB: 16384, diskGiB: 100, defaultLoad: 0.5 }',
      'logLevel: debug',
      'networks: [{ name: default, mode: nat, libvirtNetwork: default, addressPool: 10.77.0.0/24 }, { name: lan, mode: bridged, libvirtNetwork: br0-lan }]',
    ]);
    expect(loadAgentConfig({ file })).toMatchObject({
      name: 'host-1',
      networks: [{ name: 'default' }, { name: 'lan', mode: 'bridged' }],
      hypervisor: { domainType: 'kvm' },
      simulated: { diskGiB: 100 },
    });
  });
});
