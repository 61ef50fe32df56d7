import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { AgentConnector } from '../hosts/AgentConnector';
import { ImageLayer } from '../operations/ImageLayers';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import {
  createOnlineTestHost,
  insertProvisionRequest,
  provisionTestStores,
  testSecrets,
  testSize,
  useProvisionTestAgent,
} from './provisionTestBed';

/**
 * Starts the test agent for the describe block and returns it (`env`, read
 * inside tests) with the setup of one test: a ProvisionRunner over a fresh
 * database with an online host on that agent, and `request` to record a
 * provisioning request as the route does.
 */
export function useProvisionRunnerTestBed(
  databases: TestDatabases,
  databaseId: Parameters<TestDatabases['init']>[0],
) {
  const env = useProvisionTestAgent({
    os: 256 * 1024,
    appliance: 512 * 1024,
  });

  async function setup(
    options: { layers?: () => Promise<ImageLayer[]>; leaseMs?: number } = {},
  ) {
    const { db, hosts, instances, operations } = await provisionTestStores(
      databases,
      databaseId,
    );
    const connector = new AgentConnector({
      ca: env.agent.pki.ca,
      client: env.agent.pki.client,
    });
    const logger = mockServices.logger.mock();
    const runner = new ProvisionRunner({
      db,
      hosts,
      instances,
      operations,
      appliances: {
        get: async () =>
          ({
            id: 'sample.webserv.2.0',
            // As STORM's Figure 2: the system image, a swap and a user disk.
            disks: [
              { name: 'hda1', type: 'system', file: 'sys.img' },
              { name: 'hda3', type: 'swap', sizeMb: 128 },
              { name: 'hda2', type: 'user', sizeMb: 256 },
            ],
          }) as any,
      },
      layers: { layersFor: options.layers ?? (async () => env.layers) },
      agents: connector,
      logger,
      auditor: mockServices.auditor.mock(),
      pollMs: 20,
      leaseMs: options.leaseMs,
      secrets: testSecrets,
    });
    const host = await createOnlineTestHost(db, hosts, env.agent);

    const request = (
      hostname: string,
      size?: typeof testSize,
      values?: Parameters<typeof insertProvisionRequest>[4],
    ) =>
      insertProvisionRequest(
        db,
        { operations, instances },
        hostname,
        size,
        values,
      );
    return {
      db,
      hosts,
      instances,
      operations,
      runner,
      host,
      request,
      connector,
      logger,
    };
  }
  return { env, setup };
}
