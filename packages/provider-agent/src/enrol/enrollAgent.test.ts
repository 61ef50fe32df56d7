import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
} from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { loadAgentConfig } from '../config/AgentConfig';
import { x509 } from '../pki/x509Provider';
import { startAgentServer } from '../server/startAgentServer';
import { enrollAgent } from './enrollAgent';
import { TOKEN, enrolIntoData, setUpEnrolmentTest } from './setUpEnrolmentTest';

jest.setTimeout(30_000);

function extension<T extends x509.Extension>(
  csr: x509.Pkcs10CertificateRequest,
  Type: new (raw: ArrayBuffer) => T,
  oid: string,
): T | undefined {
  const found = csr.extensions.find(e => e.type === oid);
  return found ? new Type(found.rawData) : undefined;
}

describe('enrollAgent', () => {
  const env = setUpEnrolmentTest();

  it('sends a CSR (never a key), writes CA, certificate, 0600 key and a config serve runs with', async () => {
    const { ca, backend, dir } = env;
    const outcome = await enrollAgent({
      url: backend.url,
      token: TOKEN,
      dataDir: path.join(dir, 'data'),
      agentUrl: 'https://127.0.0.1:0',
      driver: 'simulated',
    });
    expect(outcome).toMatchObject({
      name: 'host-1',
      configFile: path.join(dir, 'data', 'agent.yaml'),
    });

    const [sent] = backend.state.enrolRequests;
    expect(Object.keys(sent).sort()).toEqual(['agentUrl', 'csr', 'token']);
    expect(sent.agentUrl).toBe('https://127.0.0.1:0');
    expect(JSON.stringify(sent)).not.toContain('PRIVATE KEY');
    const csr = new x509.Pkcs10CertificateRequest(sent.csr);
    const san = extension(
      csr,
      x509.SubjectAlternativeNameExtension,
      '2.5.29.17',
    );
    expect(san?.names.items.map(n => `${n.type}:${n.value}`)).toEqual([
      'ip:127.0.0.1',
    ]);
    const eku = extension(csr, x509.ExtendedKeyUsageExtension, '2.5.29.37');
    expect(eku?.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]);

    const tls = path.join(dir, 'data', 'tls');
    expect((await fs.stat(path.join(tls, 'agent.key'))).mode & 0o777).toBe(
      0o600,
    );
    expect((await fs.stat(outcome.configFile)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(path.join(tls, 'ca.crt'), 'utf8')).toBe(ca.cert);
    const cert = new X509Certificate(
      await fs.readFile(path.join(tls, 'agent.crt')),
    );
    const key = createPrivateKey(
      await fs.readFile(path.join(tls, 'agent.key')),
    );
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(
      createPublicKey(key)
        .export({ type: 'spki', format: 'der' })
        .equals(Buffer.from(csr.publicKey.rawData)),
    ).toBe(true);

    const config = loadAgentConfig({ file: outcome.configFile });
    expect(config).toMatchObject({
      name: 'host-1',
      agentUrl: 'https://127.0.0.1:0',
      driver: 'simulated',
      dataDir: path.join(dir, 'data'),
      listen: { host: '127.0.0.1', port: 0 },
      tls: {
        ca: path.join(tls, 'ca.crt'),
        cert: path.join(tls, 'agent.crt'),
        key: path.join(tls, 'agent.key'),
      },
      backend: {
        heartbeatUrl: backend.url.replace(/enroll$/, 'heartbeat'),
        heartbeatIntervalSeconds: 1,
        token: 'tempest-agent-heartbeat-token',
      },
    });

    // serve reads that config: the heartbeat carries the token to the URL it was given.
    const agent = await startAgentServer(config, {
      logger: pino({ level: 'silent' }),
    });
    try {
      expect(await agent.heartbeat!.beat()).toBe(true);
      const beat = backend.state.heartbeats.at(-1)!;
      expect(beat.authorization).toBe('Bearer tempest-agent-heartbeat-token');
      expect(beat.body).toMatchObject({
        name: 'host-1',
        agentUrl: 'https://127.0.0.1:0',
      });
    } finally {
      await agent.stop();
    }

    // A second enrolment refuses to overwrite without --force, before the token is spent.
    await expect(enrolIntoData(env)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      exitCode: 1,
      message: expect.stringMatching(/--force/),
    });
    expect(backend.state.enrolRequests).toHaveLength(1);
    await enrolIntoData(env, { force: true });
    expect(backend.state.enrolRequests).toHaveLength(2);
  });

  it('listens on all addresses for a non-loopback agent URL but advertises the URL', async () => {
    const { backend, dir } = env;
    const outcome = await enrollAgent({
      url: backend.url,
      token: TOKEN,
      dataDir: path.join(dir, 'data'),
      configFile: path.join(dir, 'etc', 'agent.yaml'),
      agentUrl: 'https://rack1-node4.example.net:7443',
    });
    expect(backend.state.enrolRequests[0].agentUrl).toBe(
      'https://rack1-node4.example.net:7443',
    );
    const csr = new x509.Pkcs10CertificateRequest(
      backend.state.enrolRequests[0].csr,
    );
    expect(csr.subject).toBe('CN=rack1-node4.example.net');
    expect(
      extension(
        csr,
        x509.SubjectAlternativeNameExtension,
        '2.5.29.17',
      )?.names.items.map(n => `${n.type}:${n.value}`),
    ).toEqual(['dns:rack1-node4.example.net']);
    expect(loadAgentConfig({ file: outcome.configFile })).toMatchObject({
      agentUrl: 'https://rack1-node4.example.net:7443',
      listen: { host: '0.0.0.0', port: 7443 },
      driver: 'libvirt',
    });
  });

  it('without --agent-url listens everywhere, on the registered port when the backend says it', async () => {
    const { backend, dir } = env;
    const plain = await enrollAgent({
      url: backend.url,
      token: TOKEN,
      dataDir: path.join(dir, 'a'),
    });
    const a = loadAgentConfig({ file: plain.configFile });
    expect(a.listen).toEqual({ host: '0.0.0.0', port: 7443 });
    expect(a.agentUrl).toBeUndefined();
    expect(backend.state.enrolRequests[0]).not.toHaveProperty('agentUrl');

    backend.state.registeredAgentUrl = 'https://rack2-node1.example.net:9443';
    const registered = await enrollAgent({
      url: backend.url,
      token: TOKEN,
      dataDir: path.join(dir, 'b'),
    });
    expect(loadAgentConfig({ file: registered.configFile })).toMatchObject({
      agentUrl: 'https://rack2-node1.example.net:9443',
      listen: { host: '0.0.0.0', port: 9443 },
    });
  });
});
