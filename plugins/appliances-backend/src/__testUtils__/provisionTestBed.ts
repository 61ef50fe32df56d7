import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { X509Certificate, randomUUID } from 'node:crypto';
import {
  qcow2Image,
  startChannel,
  startTestAgent,
  TestAgent,
} from '@tempest/provider-agent/testing';
import { migrateDatabase } from '../database/migrateDatabase';
import { HostStore } from '../hosts/HostStore';
import { SecretBox } from '../hosts/SecretBox';
import { InstanceStore } from '../instances/InstanceStore';
import { NewInstance } from '../instances/insertInstance';
import { sealVariables } from '../instances/instanceValues';
import { ImageLayer } from '../operations/ImageLayers';
import { OperationStore } from '../operations/OperationStore';

/**
 * Shared setup of the tests that provision for real against a test agent
 * (ProvisionRunner, InstanceActions): the agent and a channel serving an OS and
 * an appliance image, a migrated database with its stores, an online host and
 * provisioning requests as the route records them.
 */

export const testPricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 3,
  memoryUnitMb: 1024,
  memoryPriceMinor: 2,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 7,
  storagePeriodSeconds: 86400,
};
export const testSize = { cpuCores: 2, memoryMb: 2048, storageMb: 20480 };
export const testBuyer = 'user:default/buyer';
/** The key the test stores seal secret variables with. */
export const testSecrets = new SecretBox('k'.repeat(32));

/** Starts a test agent and a channel for the describe block; read the fields inside tests. */
export function useProvisionTestAgent(imageBytes: {
  os: number;
  appliance: number;
}) {
  const env = {} as {
    agent: TestAgent;
    channel: Awaited<ReturnType<typeof startChannel>>;
    layers: ImageLayer[];
  };
  beforeAll(async () => {
    env.agent = await startTestAgent();
    env.channel = await startChannel();
    const os = await env.channel.publish('/os.img', qcow2Image(imageBytes.os), {
      version: '1.0',
    });
    const app = await env.channel.publish(
      '/app.img',
      qcow2Image(imageBytes.appliance, 'os.img'),
      { version: '2.0', os: 'base' },
    );
    env.layers = [
      { kind: 'os', name: 'base', request: os },
      { kind: 'appliance', name: 'webserv', request: app },
    ];
  });
  afterAll(async () => {
    await env.agent?.close();
    await env.channel?.close();
  });
  return env;
}

/** A migrated database of one kind with the stores provisioning writes to. */
export async function provisionTestStores(
  databases: TestDatabases,
  databaseId: Parameters<TestDatabases['init']>[0],
) {
  const knex = await databases.init(databaseId);
  const db = await migrateDatabase(mockServices.database({ knex }));
  const hosts = new HostStore(db, testSecrets);
  const instances = new InstanceStore(db);
  const operations = new OperationStore(db);
  return { db, hosts, instances, operations };
}

/** A host the test agent serves, marked online as if it had just sent a heartbeat. */
export async function createOnlineTestHost(
  db: Knex,
  hosts: HostStore,
  agent: TestAgent,
) {
  const host = await hosts.create(
    {
      name: `h-${randomUUID().slice(0, 8)}`,
      owner: 'user:default/provider',
      cpuModel: 'Sim',
      coreSpeedMhz: 2000,
      cpuCores: 8,
      memoryMb: 16384,
      storageMb: 100000,
      pricing: testPricing,
      agentUrl: agent.agent.url,
    },
    {
      tokenHash: randomUUID().replace(/-/g, ''),
      expiresAt: new Date(Date.now() + 60_000),
    },
  );
  // As enrolment would: the backend trusts this agent's certificate only.
  const certificateFingerprint = new X509Certificate(agent.pki.server.cert)
    .fingerprint256;
  await db('hosts').where({ id: host.id }).update({
    state: 'online',
    last_heartbeat_at: new Date(),
    certificate_fingerprint: certificateFingerprint,
  });
  return (await hosts.get(host.id))!;
}

/** Records a provisioning request (its operation and instance) the way the instances route does. */
export async function insertProvisionRequest(
  db: Knex,
  stores: { operations: OperationStore; instances: InstanceStore },
  hostname: string,
  size = testSize,
  values: Pick<NewInstance, 'domain' | 'sshAuthorizedKeys' | 'variables'> & {
    secretVariables?: Record<string, string>;
  } = {},
) {
  const instanceId = randomUUID();
  const operationId = randomUUID();
  await db.transaction(async trx => {
    await stores.operations.insert(
      trx,
      {
        id: operationId,
        instanceId,
        requestedBy: testBuyer,
        requestHash: 'h',
        request: {},
      },
      new Date(),
    );
    await stores.instances.insert(
      trx,
      {
        id: instanceId,
        hostname,
        owner: testBuyer,
        applianceId: 'sample.webserv.2.0',
        size,
        operationId,
        ...values,
        secretVariables: sealVariables(
          testSecrets,
          instanceId,
          values.secretVariables ?? {},
        ),
      },
      new Date(),
    );
  });
  return { instanceId, operationId };
}
