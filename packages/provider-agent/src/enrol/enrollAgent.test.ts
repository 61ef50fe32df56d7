import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
} from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadAgentConfig } from '../config/AgentConfig';
import {
  CertificateAuthority,
  createCertificateAuthority,
} from '../pki/createCertificateAuthority';
import {
  keyAlgorithm,
  privateKeyFromPem,
  randomSerial,
  subtle,
  x509,
} from '../pki/x509Provider';
import { startAgentServer } from '../server/startAgentServer';
import { enrollAgent } from './enrollAgent';

jest.setTimeout(30_000);

const TOKEN = 'tempest-enrol-0123456789abcdefghij';

/** Signs a CSR's key (or, for the mismatch test, another key) as the backend does. */
async function sign(
  ca: CertificateAuthority,
  csrPem: string,
  options: { otherKey?: boolean } = {},
): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  expect(await csr.verify()).toBe(true);
  const publicKey = options.otherKey
    ? (
        (await subtle.generateKey(keyAlgorithm, true, [
          'sign',
          'verify',
        ])) as CryptoKeyPair
      ).publicKey
    : await csr.publicKey.export();
  const caCert = new x509.X509Certificate(ca.cert);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=host-1',
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingAlgorithm: keyAlgorithm,
    publicKey,
    signingKey: await privateKeyFromPem(ca.key),
    extensions: [
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth],
        false,
      ),
      new x509.SubjectAlternativeNameExtension(
        [
          { type: 'dns', value: 'host-1' },
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
        ],
        false,
      ),
    ],
  });
  return cert.toString('pem');
}

function extension<T extends x509.Extension>(
  csr: x509.Pkcs10CertificateRequest,
  Type: new (raw: ArrayBuffer) => T,
  oid: string,
): T | undefined {
  const found = csr.extensions.find(e => e.type === oid);
  return found ? new Type(found.rawData) : undefined;
}

type Behaviour = 'ok' | 'used' | 'broken' | 'otherKey' | 'otherCa' | 'garbage';

/** A backend implementing `POST /agent/enroll` and `POST /agent/heartbeat` on 127.0.0.1. */
async function startMockBackend(
  ca: CertificateAuthority,
  otherCa: CertificateAuthority,
) {
  const state = {
    behaviour: 'ok' as Behaviour,
    registeredAgentUrl: undefined as string | undefined,
    enrolRequests: [] as any[],
    heartbeats: [] as { authorization?: string; body: any }[],
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', c => (raw += c));
    req.on('end', async () => {
      const body = raw ? JSON.parse(raw) : {};
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.url === '/api/appliances/agent/heartbeat') {
        state.heartbeats.push({
          authorization: req.headers.authorization,
          body,
        });
        res.writeHead(204).end();
        return;
      }
      if (req.url !== '/api/appliances/agent/enroll') {
        send(404, { error: { name: 'NotFoundError', message: 'no route' } });
        return;
      }
      state.enrolRequests.push(body);
      const b = state.behaviour;
      if (b === 'used' || body.token !== TOKEN) {
        send(403, {
          error: {
            name: 'NotAllowedError',
            message: 'The enrolment token is unknown, used or expired',
          },
          request: { method: 'POST', url: req.url },
          response: { statusCode: 403 },
        });
        return;
      }
      if (b === 'broken') {
        send(500, { error: { name: 'Error', message: 'database is on fire' } });
        return;
      }
      if (b === 'garbage') {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<html>proxy</html>');
        return;
      }
      const { port } = server.address() as AddressInfo;
      send(200, {
        hostId: '5b1f2d2e-0000-4000-8000-000000000001',
        name: 'host-1',
        caCert: ca.cert,
        cert: await sign(b === 'otherCa' ? otherCa : ca, body.csr, {
          otherKey: b === 'otherKey',
        }),
        heartbeatUrl: `http://127.0.0.1:${port}/api/appliances/agent/heartbeat`,
        heartbeatToken: 'tempest-agent-heartbeat-token',
        heartbeatIntervalSeconds: 1,
        ...(state.registeredAgentUrl
          ? { agentUrl: state.registeredAgentUrl }
          : {}),
      });
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    url: `http://127.0.0.1:${port}/api/appliances/agent/enroll`,
    close: () => new Promise<void>(r => server.close(() => r())),
  };
}

describe('enrollAgent', () => {
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let backend: Awaited<ReturnType<typeof startMockBackend>>;
  let dir: string;
  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Mock backend CA' });
    otherCa = await createCertificateAuthority({ commonName: 'Other CA' });
    backend = await startMockBackend(ca, otherCa);
  });
  afterAll(() => backend.close());
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'enrol-'));
    backend.state.behaviour = 'ok';
    backend.state.registeredAgentUrl = undefined;
    backend.state.enrolRequests.length = 0;
    backend.state.heartbeats.length = 0;
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  const nothingWritten = async () => {
    expect(
      await fs.readdir(path.join(dir, 'data', 'tls')).catch(() => []),
    ).toEqual([]);
    expect(
      await fs
        .stat(path.join(dir, 'data', 'agent.yaml'))
        .catch(() => undefined),
    ).toBeUndefined();
  };

  it('sends a CSR (never a key), writes CA, certificate, 0600 key and a config serve runs with', async () => {
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
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      exitCode: 1,
      message: expect.stringMatching(/--force/),
    });
    expect(backend.state.enrolRequests).toHaveLength(1);
    await enrollAgent({
      url: backend.url,
      token: TOKEN,
      dataDir: path.join(dir, 'data'),
      force: true,
    });
    expect(backend.state.enrolRequests).toHaveLength(2);
  });

  it("shows the backend's reason for a refused token and exits 2", async () => {
    backend.state.behaviour = 'used';
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'ENROLMENT_REFUSED',
      exitCode: 2,
      status: 403,
      message:
        'The backend refused the enrolment (403): The enrolment token is unknown, used or expired',
    });
    await nothingWritten();
  });

  it('reports an unreachable or failing backend with exit 3', async () => {
    const closed = http.createServer();
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>(r => closed.close(() => r()));
    await expect(
      enrollAgent({
        url: `http://127.0.0.1:${port}/api/appliances/agent/enroll`,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'BACKEND_UNREACHABLE',
      exitCode: 3,
      message: expect.stringMatching(
        /Cannot reach the backend at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
      ),
    });
    backend.state.behaviour = 'broken';
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'BACKEND_UNREACHABLE',
      exitCode: 3,
      message: expect.stringMatching(/\(500\): database is on fire/),
    });
    backend.state.behaviour = 'garbage';
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'BACKEND_UNREACHABLE',
      message: expect.stringMatching(/not JSON/),
    });
    await nothingWritten();
  });

  it('refuses a certificate for another key or from another CA with exit 4, writing nothing', async () => {
    backend.state.behaviour = 'otherKey';
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'CERTIFICATE_MISMATCH',
      exitCode: 4,
      message: expect.stringMatching(/does not match the key/),
    });
    backend.state.behaviour = 'otherCa';
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'CERTIFICATE_MISMATCH',
      message: expect.stringMatching(/not signed by the backend's CA/),
    });
    await nothingWritten();
  });

  it('checks URLs, the token and paths before sending anything', async () => {
    const dataDir = path.join(dir, 'data');
    const cases: [Parameters<typeof enrollAgent>[0], RegExp][] = [
      [
        { url: 'ftp://backend/enroll', token: TOKEN, dataDir },
        /must be an http or https URL/,
      ],
      [{ url: 'not a url', token: TOKEN, dataDir }, /is not a URL/],
      [
        { url: 'http://user:pw@backend/enroll', token: TOKEN, dataDir },
        /credentials/,
      ],
      [{ url: backend.url, token: 'short', dataDir }, /16–128 printable/],
      [{ url: backend.url, token: `${TOKEN} x`, dataDir }, /16–128 printable/],
      [
        {
          url: backend.url,
          token: TOKEN,
          dataDir,
          agentUrl: 'http://host:7443',
        },
        /agent URL must be an https URL/,
      ],
      [
        { url: backend.url, token: TOKEN, dataDir: 'a\0b' },
        /not a usable path/,
      ],
      [
        { url: backend.url, token: TOKEN, dataDir, configFile: dir },
        /is a directory/,
      ],
    ];
    for (const [options, message] of cases) {
      await expect(enrollAgent(options)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        exitCode: 1,
        message: expect.stringMatching(message),
      });
    }
    await fs.writeFile(path.join(dir, 'file'), '');
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'file'),
      }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/is not a directory/),
    });
    expect(backend.state.enrolRequests).toHaveLength(0);
  });

  it('listens on all addresses for a non-loopback agent URL but advertises the URL', async () => {
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
