import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EnrollAgentOptions } from './EnrollAgentOptions';
import { enrollAgent } from './enrollAgent';
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
import { unlessMissing } from '../storage/unlessMissing';

export const TOKEN = 'tempest-enrol-0123456789abcdefghij';

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

/**
 * Shared setup of the enrollAgent tests: a mock backend with its CA (and another
 * CA) for the whole file, and a fresh temporary directory and backend state per
 * test. Read the fields inside tests, not at describe time.
 */
export function setUpEnrolmentTest() {
  const env = {} as {
    ca: CertificateAuthority;
    otherCa: CertificateAuthority;
    backend: Awaited<ReturnType<typeof startMockBackend>>;
    dir: string;
  };
  beforeAll(async () => {
    env.ca = await createCertificateAuthority({
      commonName: 'Mock backend CA',
    });
    env.otherCa = await createCertificateAuthority({ commonName: 'Other CA' });
    env.backend = await startMockBackend(env.ca, env.otherCa);
  });
  afterAll(() => env.backend.close());
  beforeEach(async () => {
    env.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'enrol-'));
    env.backend.state.behaviour = 'ok';
    env.backend.state.registeredAgentUrl = undefined;
    env.backend.state.enrolRequests.length = 0;
    env.backend.state.heartbeats.length = 0;
  });
  afterEach(() => fs.rm(env.dir, { recursive: true, force: true }));
  return env;
}

/** Asserts an enrolment that failed left no certificate, key or config behind. */
export async function nothingWritten(dir: string) {
  expect(
    await unlessMissing(fs.readdir(path.join(dir, 'data', 'tls')), []),
  ).toEqual([]);
  expect(
    await unlessMissing(
      fs.stat(path.join(dir, 'data', 'agent.yaml')),
      undefined,
    ),
  ).toBeUndefined();
}

/** Enrols with the mock backend and the test token into `<dir>/data`. */
export function enrolIntoData(
  env: { backend: { url: string }; dir: string },
  options: Partial<EnrollAgentOptions> = {},
) {
  return enrollAgent({
    url: env.backend.url,
    token: TOKEN,
    dataDir: path.join(env.dir, 'data'),
    ...options,
  });
}
