import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { AgentConnector } from '../hosts/AgentConnector';
import { InstanceActions } from '../instances/InstanceActions';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { InstanceReconciler } from '../instances/InstanceReconciler';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import { diskNameOf } from '../operations/diskNameOf';
import {
  createOnlineTestHost,
  insertProvisionRequest,
  provisionTestStores,
  testSize,
  useProvisionTestAgent,
} from './provisionTestBed';

/**
 * Starts the test agent for the describe block and returns its setup: the
 * instance actions and the reconciler over one database and that agent, with
 * an online host, a runner to provision through and the agent's client.
 */
export function useInstanceActionsTestBed(
  databases: TestDatabases,
  databaseId: Parameters<TestDatabases['init']>[0],
) {
  const env = useProvisionTestAgent({ os: 64 * 1024, appliance: 64 * 1024 });
  return () => startInstanceActionsTestBed(databases, databaseId, env);
}

async function startInstanceActionsTestBed(
  databases: TestDatabases,
  databaseId: Parameters<TestDatabases['init']>[0],
  env: ReturnType<typeof useProvisionTestAgent>,
) {
  const { db, hosts, instances, operations } = await provisionTestStores(
    databases,
    databaseId,
  );
  const events = new InstanceEventStore(db);
  const connector = new AgentConnector({
    ca: env.agent.pki.ca,
    client: env.agent.pki.client,
  });
  const auditor = mockServices.auditor.mock();
  const runner = new ProvisionRunner({
    db,
    hosts,
    instances,
    operations,
    events,
    appliances: { get: async () => ({ id: 'sample.webserv.2.0' }) as any },
    layers: { layersFor: async () => env.layers },
    agents: connector,
    logger: mockServices.logger.mock(),
    auditor,
    pollMs: 20,
  });
  const actions = new InstanceActions({
    db,
    instances,
    events,
    hosts,
    operations,
    agents: connector,
    kick: id => void runner.kick(id),
    shutdownTimeoutSeconds: 1,
    logger: mockServices.logger.mock(),
  });
  const reconciler = new InstanceReconciler({
    instances,
    events,
    hosts,
    agents: connector,
    auditor,
    logger: mockServices.logger.mock(),
  });
  const host = await createOnlineTestHost(db, hosts, env.agent);
  const client = connector.forHost(host);

  async function provision(hostname: string, demand = testSize) {
    const { instanceId, operationId } = await insertProvisionRequest(
      db,
      { operations, instances },
      hostname,
      demand,
    );
    await runner.kick(operationId);
    return (await instances.get(instanceId))!;
  }
  const domainState = async (id: string) =>
    (
      await client.GET('/v1/domains/{name}/state', {
        params: { path: { name: diskNameOf(id) } },
      })
    ).data?.state;
  return {
    db,
    hosts,
    instances,
    operations,
    events,
    actions,
    reconciler,
    runner,
    host,
    client,
    provision,
    domainState,
    auditor,
  };
}
