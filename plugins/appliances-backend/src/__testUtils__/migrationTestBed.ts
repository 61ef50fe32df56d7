import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { writeCertificate, writePrivateKey } from '@tempest/provider-agent';
import { TestAgent, startTestAgent } from '@tempest/provider-agent/testing';
import { AgentConnector } from '../hosts/AgentConnector';
import { BackendPki } from '../hosts/BackendPki';
import { InstanceActions } from '../instances/InstanceActions';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { diskNameOf } from '../operations/diskNameOf';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import { ProvisionRunnerOptions } from '../operations/ProvisionRunnerOptions';
import {
  insertProvisionRequest,
  provisionTestStores,
  testPricing,
  useProvisionTestAgent,
} from './provisionTestBed';

/**
 * Two hosts of one provider, each with its own real agent whose certificate
 * the backend's CA issued as enrolment does (server and client, with the
 * host's identity), so the agents can pull disks from each other; a runner
 * and the instance actions over one database. `agents` wraps the connector
 * so that a test can stand between the backend and an agent.
 */
export function useMigrationTestBed(
  databases: TestDatabases,
  databaseId: Parameters<TestDatabases['init']>[0],
) {
  // The channel with the OS and appliance images (its own agent goes unused).
  const env = useProvisionTestAgent({ os: 64 * 1024, appliance: 64 * 1024 });
  const started: TestAgent[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map(a => a.close()));
  });

  return async function setup(
    options: Partial<Pick<ProvisionRunnerOptions, 'agents'>> & {
      migrationHeartbeatTimeoutMs?: number;
    } = {},
  ) {
    const { db, hosts, instances, operations } = await provisionTestStores(
      databases,
      databaseId,
    );
    const pki = await BackendPki.ephemeral();
    const connector = new AgentConnector(pki);
    const agents = options.agents ?? connector;
    const events = new InstanceEventStore(db);
    const auditor = mockServices.auditor.mock();
    const logger = mockServices.logger.mock();

    async function addHost(name: string) {
      const host = await hosts.create(
        {
          name,
          owner: 'user:default/provider',
          cpuModel: 'Sim',
          coreSpeedMhz: 2000,
          cpuCores: 8,
          memoryMb: 16384,
          storageMb: 100000,
          pricing: testPricing,
          agentUrl: 'https://127.0.0.1:1',
        },
        {
          tokenHash: randomUUID().replace(/-/g, ''),
          expiresAt: new Date(Date.now() + 60_000),
        },
      );
      const issued = await pki.issueAgentCertificate({
        name: 'localhost',
        hostId: host.id,
        sans: ['127.0.0.1'],
      });
      const dir = path.join(os.tmpdir(), `tempest-migrate-${randomUUID()}`);
      const tls = {
        ca: path.join(dir, 'ca.crt'),
        cert: path.join(dir, 'agent.crt'),
        key: path.join(dir, 'agent.key'),
      };
      await writeCertificate(tls.ca, pki.ca.cert);
      await writeCertificate(tls.cert, issued.cert);
      await writePrivateKey(tls.key, issued.key!);
      const agent = await startTestAgent({ name, tls });
      started.push(agent);
      await db('hosts').where({ id: host.id }).update({
        agent_url: agent.agent.url,
        state: 'online',
        last_heartbeat_at: new Date(),
        certificate_fingerprint: issued.fingerprint,
      });
      return { host: (await hosts.get(host.id))!, agent };
    }

    const runner = new ProvisionRunner({
      db,
      hosts,
      instances,
      operations,
      events,
      appliances: { get: async () => ({ id: 'sample.webserv.2.0' }) as any },
      layers: { layersFor: async () => env.layers },
      agents,
      logger,
      auditor,
      pollMs: 20,
      migrationHeartbeatTimeoutMs: options.migrationHeartbeatTimeoutMs,
    });
    const actions = new InstanceActions({
      db,
      instances,
      events,
      hosts,
      operations,
      agents,
      kick: id => void runner.kick(id),
      shutdownTimeoutSeconds: 1,
      logger,
    });
    const a = await addHost('host-a');
    const b = await addHost('host-b');

    /** Provisions an instance; it lands on one of the two hosts, running. */
    async function runningInstance(hostname: string) {
      const { instanceId, operationId } = await insertProvisionRequest(
        db,
        { operations, instances },
        hostname,
      );
      await runner.kick(operationId);
      const running = (await instances.get(instanceId))!;
      if (running.state !== 'started')
        throw new Error(
          `provisioning ended ${running.state}: ${running.error}`,
        );
      return running;
    }

    /** Provisions an instance (it lands on one of the two hosts) and stops it. */
    async function stoppedInstance(hostname: string) {
      const running = await runningInstance(hostname);
      return (await actions.run(running, 'stop', running.version, 'user:x'))
        .instance;
    }
    return {
      db,
      hosts,
      instances,
      operations,
      events,
      actions,
      runner,
      connector,
      auditor,
      a,
      b,
      runningInstance,
      stoppedInstance,
    };
  };
}

/** What an agent holds of an instance: its disk and its domain's state, or undefined. */
export async function onAgent(client: AgentClient, instanceId: string) {
  const name = diskNameOf(instanceId);
  const disk = await client.GET('/v1/disks/{name}', {
    params: { path: { name } },
  });
  const domain = await client.GET('/v1/domains/{name}/state', {
    params: { path: { name } },
  });
  return { disk: disk.data?.name, domain: domain.data?.state };
}
