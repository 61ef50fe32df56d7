import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import {
  RunningAgent,
  loadAgentConfig,
  startAgentServer,
  writeCertificate,
  writePrivateKey,
} from '@tempest/provider-agent';
import fs from 'node:fs/promises';
import net, { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import pino from 'pino';
import { migrateDatabase } from '../database/migrateDatabase';
import { AgentCallError, agentCall } from '../operations/agentCall';
import { AgentConnector } from './AgentConnector';
import { BackendPki } from './BackendPki';
import { HostEnrolment } from './HostEnrolment';
import { Host, HostStore } from './HostStore';
import { SecretBox } from './SecretBox';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(r => server.close(() => r()));
  return port;
}

const pricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 2,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 3,
  storagePeriodSeconds: 86400,
};

/**
 * Two providers' hosts whose agents both listen on 127.0.0.1, so the names
 * in their certificates cannot tell them apart: only the certificate itself
 * (pinned at enrolment) can.
 */
describe.each(databases.eachSupportedId())(
  "a host's agent is identified by its certificate, on %s",
  databaseId => {
    let work: string;
    const agents: RunningAgent[] = [];
    let connector: AgentConnector | undefined;

    beforeEach(async () => {
      work = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-identity-'));
    });
    afterEach(async () => {
      connector?.close();
      await Promise.all(agents.splice(0).map(a => a.stop()));
      await fs.rm(work, { recursive: true, force: true });
    });

    async function setup() {
      const knex = await databases.init(databaseId);
      const db = await migrateDatabase(mockServices.database({ knex }));
      const hosts = new HostStore(db, new SecretBox('k'.repeat(32)));
      const pki = await BackendPki.ephemeral();
      const enrolment = new HostEnrolment(hosts, pki, 60_000);
      connector = new AgentConnector(pki);

      /** Registers, enrols (the backend makes the key) and starts the host's agent. */
      async function enrolledHost(name: string, owner: string) {
        const port = await freePort();
        const token = enrolment.newToken();
        await hosts.create(
          {
            name,
            owner,
            cpuModel: 'Sim',
            coreSpeedMhz: 2000,
            cpuCores: 8,
            memoryMb: 16384,
            storageMb: 100_000,
            pricing,
            agentUrl: `https://127.0.0.1:${port}`,
          },
          token,
        );
        const enrolled = await enrolment.enrol({ token: token.token });
        const tls = {
          ca: path.join(work, name, 'ca.crt'),
          cert: path.join(work, name, 'agent.crt'),
          key: path.join(work, name, 'agent.key'),
        };
        await writeCertificate(tls.ca, enrolled.caCert);
        await writeCertificate(tls.cert, enrolled.cert);
        await writePrivateKey(tls.key, enrolled.key!);
        const agent = await startAgentServer(
          loadAgentConfig({
            overrides: {
              name,
              driver: 'simulated',
              dataDir: path.join(work, name, 'data'),
              listen: { host: '127.0.0.1', port },
              tls,
            },
          }),
          { logger: pino({ level: 'silent' }) },
        );
        agents.push(agent);
        return { host: enrolled.host, agent, cert: enrolled.cert };
      }
      return { hosts, enrolment, enrolledHost };
    }

    const info = (host: Host) =>
      agentCall('read info', connector!.forHost(host).GET('/v1/info'));

    it('refuses to call a host whose agent URL points at another host’s agent', async () => {
      const { hosts, enrolledHost } = await setup();
      const alpha = await enrolledHost('alpha', 'user:default/provider-a');
      const beta = await enrolledHost('beta', 'user:default/provider-b');
      expect((await info(alpha.host)).data.name).toBe('alpha');
      expect((await info(beta.host)).data.name).toBe('beta');

      // The agents swap URLs: each host now points at the other's agent.
      const alphaSwapped = (await hosts.setAgentUrl(
        alpha.host.id,
        beta.agent.url,
      ))!;
      const betaSwapped = (await hosts.setAgentUrl(
        beta.host.id,
        alpha.agent.url,
      ))!;
      for (const [swapped, other] of [
        [alphaSwapped, 'beta'],
        [betaSwapped, 'alpha'],
      ] as const) {
        const defined = agentCall(
          'define domain',
          connector!.forHost(swapped).PUT('/v1/domains/{name}', {
            params: { path: { name: 'intruder' } },
            body: { vcpus: 64, memoryMiB: 1_048_576, disk: 'intruder' },
          }),
        );
        await expect(defined).rejects.toBeInstanceOf(AgentCallError);
        await expect(defined).rejects.toMatchObject({
          code: 'UNREACHABLE',
          message: expect.stringContaining(
            `presented certificate ${
              new X509Certificate((other === 'beta' ? beta : alpha).cert)
                .fingerprint256
            } (CN=${other}), not the one issued to it`,
          ),
        });
      }
      // Neither agent was reached: no domain anywhere.
      for (const agent of agents)
        expect(await agent.services.domains.list()).toEqual([]);

      // Back at their own agents, both answer again.
      await hosts.setAgentUrl(alpha.host.id, alpha.agent.url);
      expect((await info((await hosts.get(alpha.host.id))!)).data.name).toBe(
        'alpha',
      );
    });

    it('issues the certificate for the registered host, never for the address an enrolment claims', async () => {
      const { hosts, enrolment, enrolledHost } = await setup();
      const victim = await enrolledHost('victim', 'user:default/provider-a');
      const token = enrolment.newToken();
      const mallory = await hosts.create(
        {
          name: 'mallory',
          owner: 'user:default/provider-b',
          cpuModel: 'Sim',
          coreSpeedMhz: 2000,
          cpuCores: 1,
          memoryMb: 1024,
          storageMb: 10_000,
          pricing,
          agentUrl: 'https://mallory.example.net:7443',
        },
        token,
      );

      // Claiming the victim's address is refused, and the token stays usable.
      await expect(
        enrolment.enrol({ token: token.token, agentUrl: victim.agent.url }),
      ).rejects.toThrow(
        /registered with agent URL https:\/\/mallory\.example\.net:7443, not https:\/\/127\.0\.0\.1:\d+/,
      );
      const enrolled = await enrolment.enrol({ token: token.token });
      const cert = new X509Certificate(enrolled.cert);
      expect(cert.subjectAltName).toContain('DNS:mallory.example.net');
      expect(cert.subjectAltName).toContain(
        `URI:urn:tempest:host:${mallory.id}`,
      );
      expect(enrolled.host).toMatchObject({
        agentUrl: 'https://mallory.example.net:7443',
        agentCertificateFingerprint: cert.fingerprint256,
      });
    });
  },
);
