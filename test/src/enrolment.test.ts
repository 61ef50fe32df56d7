import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
// A cross-package test: it starts the real backend plugin next to the agent.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import appliancesPlugin from '@tempest/backstage-plugin-appliances-backend';
import {
  RunningAgent,
  createCertificateAuthority,
  enrollAgent,
  issueCertificate,
  loadAgentConfig,
  startAgentServer,
} from '@tempest/provider-agent';
import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { freePort } from './support/freePort';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';

jest.setTimeout(60_000);

/**
 * `tempest-agent enroll` against the real appliances backend: register a host,
 * trade the one-time token for a certificate signed by the backend's CA, serve
 * with the written config, come online by heartbeat, and accept the backend's
 * client certificate (and no other CA's).
 */
describe('agent enrolment against the appliances backend', () => {
  let work: string;
  let agent: RunningAgent | undefined;
  let stopBackend: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-enrolment-'));
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await stopBackend?.();
    stopBackend = undefined;
    await fs.rm(work, { recursive: true, force: true });
  });

  async function startBackend() {
    const dataDir = path.join(work, 'backend');
    const permissions = mockServices.permissions.mock({
      authorize: async requests =>
        requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any,
    });
    const { server } = await startTestBackend({
      features: [
        appliancesPlugin,
        permissions.factory,
        mockServices.rootConfig.factory({
          data: {
            appliances: {
              dataDir,
              secretKey: 'a-test-secret-key-of-enough-length!!',
              hosts: { heartbeatIntervalSeconds: 1 },
            },
          },
        }),
      ],
    });
    stopBackend = () => new Promise<void>(r => server.close(() => r()));
    const base = `http://localhost:${(server.address() as AddressInfo).port}/api/appliances`;
    const auth = mockCredentials.user.header('user:default/provider');
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${base}${route}`, {
        method,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: (text ? JSON.parse(text) : undefined) as any,
      };
    };
    return { dataDir, call };
  }

  function tlsStatus(
    url: string,
    tls: { ca: Buffer; cert: string | Buffer; key: string | Buffer },
  ) {
    return new Promise<number | string>(resolve => {
      const req = https.get(`${url}/v1/info`, { ...tls, agent: false }, res => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', e =>
        resolve((e as NodeJS.ErrnoException).code ?? e.message),
      );
    });
  }

  it('enrols with the one-time token, heartbeats online and trusts only the backend CA', async () => {
    const backend = await startBackend();
    const agentPort = await freePort();
    const registered = await backend.call('POST', '/hosts', {
      name: 'enrol-host-1',
      cpuModel: 'Simulated CPU',
      coreSpeedMhz: 2400,
      cpuCores: 8,
      memoryMb: 16384,
      storageMb: 200_000,
      pricing: {
        speedUnitMhz: 1000,
        speedPriceMinor: 2,
        memoryUnitMb: 1024,
        memoryPriceMinor: 1,
        runningPeriodSeconds: 3600,
        storageUnitMb: 10240,
        storagePriceMinor: 3,
        storagePeriodSeconds: 86400,
      },
      agentUrl: `https://127.0.0.1:${agentPort}`,
    });
    expect(registered.status).toBe(201);
    const { enrolUrl, token, command } = registered.body.enrolment;
    expect(command).toBe(
      `tempest-agent enroll --url ${enrolUrl} --token ${token} --agent-url https://127.0.0.1:${agentPort}`,
    );

    const dataDir = path.join(work, 'agent');
    const outcome = await enrollAgent({
      url: enrolUrl,
      token,
      dataDir,
      agentUrl: `https://127.0.0.1:${agentPort}`,
      driver: 'simulated',
    });
    expect(outcome).toMatchObject({
      hostId: registered.body.host.id,
      name: 'enrol-host-1',
    });
    expect((await fs.stat(outcome.files.key)).mode & 0o777).toBe(0o600);

    // The token is spent: a second enrolment shows the backend's refusal.
    await expect(
      enrollAgent({ url: enrolUrl, token, dataDir: path.join(work, 'again') }),
    ).rejects.toMatchObject({
      code: 'ENROLMENT_REFUSED',
      exitCode: 2,
      message: expect.stringMatching(
        /\(403\): The enrolment token is unknown, used or expired/,
      ),
    });

    const config = loadAgentConfig({ file: outcome.configFile });
    expect(config.listen.port).toBe(agentPort);
    expect(config.backend.heartbeatIntervalSeconds).toBe(1);
    agent = await startAgentServer(config, {
      logger: pino({ level: 'silent' }),
    });

    const deadline = Date.now() + 20_000;
    let host = (await backend.call('GET', `/hosts/${registered.body.host.id}`))
      .body;
    while (host.state !== 'online' && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 250));
      host = (await backend.call('GET', `/hosts/${registered.body.host.id}`))
        .body;
    }
    expect(host).toMatchObject({
      state: 'online',
      agentUrl: `https://127.0.0.1:${agentPort}`,
    });
    expect(host.enrolledAt).toBeDefined();

    // The backend's client certificate (signed by its CA) is accepted; another CA's is refused.
    const ca = await fs.readFile(outcome.files.ca);
    const pki = path.join(backend.dataDir, 'pki');
    const backendClient = {
      cert: await fs.readFile(path.join(pki, 'backend-client.crt')),
      key: await fs.readFile(path.join(pki, 'backend-client.key')),
    };
    expect(await tlsStatus(agent.url, { ca, ...backendClient })).toBe(200);
    const otherCa = await createCertificateAuthority({
      commonName: 'Not the backend',
    });
    const stranger = await issueCertificate({
      ca: otherCa,
      kind: 'client',
      name: 'tempest-backend',
    });
    expect(await tlsStatus(agent.url, { ca, ...stranger })).not.toBe(200);
    expect(await tlsStatus(agent.url, { ca, ...stranger })).toEqual(
      expect.any(String),
    );
  });
});
