import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { waitFor } from '@tempest/provider-agent/testing';
import { AgentAddress, AgentConnector } from '../hosts/AgentConnector';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import { diskNameOf } from '../operations/diskNameOf';
import {
  createOnlineTestHost,
  insertProvisionRequest,
  provisionTestStores,
  testBuyer as buyer,
  testSize,
  useProvisionTestAgent,
} from '../__testUtils__/provisionTestBed';
import { InstanceActionConflict } from './InstanceActionErrors';
import { InstanceActions } from './InstanceActions';
import { InstanceEventStore } from './InstanceEventStore';
import { InterruptedActions } from './InterruptedActions';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const LEASE_MS = 1500;

/**
 * A backend process that dies mid-action: each agent call it makes either
 * reaches the agent or not (`reaches`), and no answer ever comes back to it.
 */
function dyingConnector(
  real: AgentConnector,
  reaches: (domain: string) => boolean,
) {
  return {
    forHost(host: AgentAddress): AgentClient {
      const client = real.forHost(host);
      const hang =
        (method: 'POST' | 'PUT' | 'DELETE') => (path: any, init: any) => {
          const domain = init?.params?.path?.name;
          const sent = reaches(domain)
            ? (client[method] as any)(path, init)
            : Promise.resolve();
          return sent.then(() => new Promise(() => {}));
        };
      return {
        ...client,
        POST: hang('POST'),
        PUT: hang('PUT'),
        DELETE: hang('DELETE'),
      } as AgentClient;
    },
  };
}

describe.each(databases.eachSupportedId())(
  'actions interrupted by a backend that died, on %s',
  databaseId => {
    const env = useProvisionTestAgent({ os: 64 * 1024, appliance: 64 * 1024 });

    it('are settled from the agent’s truth as soon as their lease lapses', async () => {
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
      const logger = mockServices.logger.mock();
      const runner = new ProvisionRunner({
        db,
        hosts,
        instances,
        operations,
        events,
        appliances: { get: async () => ({ id: 'sample.webserv.2.0' }) as any },
        layers: { layersFor: async () => env.layers },
        agents: connector,
        logger,
        auditor,
        pollMs: 20,
      });
      const host = await createOnlineTestHost(db, hosts, env.agent);
      const provision = async (hostname: string) => {
        const { instanceId, operationId } = await insertProvisionRequest(
          db,
          { operations, instances },
          hostname,
          testSize,
        );
        await runner.kick(operationId);
        return (await instances.get(instanceId))!;
      };
      const client = connector.forHost(host);
      const domainState = async (id: string) =>
        (
          await client.GET('/v1/domains/{name}/state', {
            params: { path: { name: diskNameOf(id) } },
          })
        ).data?.state ?? 'missing';
      const processOptions = {
        db,
        instances,
        events,
        hosts,
        operations,
        kick: (id: string) => void runner.kick(id),
        shutdownTimeoutSeconds: 1,
        logger,
        actionLeaseMs: LEASE_MS,
      };

      const neverSent = await provision('int-never-sent');
      const stopped = await provision('int-stopped');
      const suspendLost = await provision('int-suspend');
      const deleting = await provision('int-delete');
      const live = new InstanceActions({
        ...processOptions,
        agents: connector,
      });
      const beforeDelete = await live.run(deleting, 'stop', 2, buyer);
      const usedBefore = (await hosts.get(host.id))!.used;

      // The first process claims four actions and dies before any answer
      // comes back: two of its calls reached the agent, two never did.
      const reached = new Set([
        diskNameOf(stopped.id),
        diskNameOf(deleting.id),
      ]);
      const dying = new InstanceActions({
        ...processOptions,
        agents: dyingConnector(connector, name => reached.has(name)),
      });
      void dying.run(neverSent, 'stop', 2, buyer);
      void dying.run(stopped, 'stop', 2, buyer);
      void dying.run(suspendLost, 'suspend', 2, buyer);
      void dying.run(beforeDelete.instance, 'delete', 3, buyer);
      await waitFor(
        async () =>
          Promise.all([
            ...[neverSent, stopped, suspendLost, deleting].map(
              async i => (await instances.get(i.id))!.pendingAction,
            ),
            domainState(stopped.id),
            domainState(deleting.id),
          ]),
        ([a, b, c, d, stoppedDomain, deletedDomain]) =>
          Boolean(a && b && c && d) &&
          stoppedDomain === 'shutoff' &&
          deletedDomain === 'shutoff',
      );
      expect(await instances.get(neverSent.id)).toMatchObject({
        state: 'stopped',
        pendingAction: 'stop',
      });
      expect(await domainState(neverSent.id)).toBe('running');

      // While the lease is live, the action is the first process's: a new
      // process neither settles it nor runs another action over it.
      const restarted = new InstanceActions({
        ...processOptions,
        agents: connector,
      });
      const settler = new InterruptedActions({
        instances,
        events,
        hosts,
        operations,
        agents: connector,
        auditor,
        logger,
        shutdownTimeoutSeconds: 1,
      });
      expect(await settler.settleAll()).toEqual({ settled: 0 });
      const busy = await restarted
        .run((await instances.get(neverSent.id))!, 'start', 3, buyer)
        .catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(InstanceActionConflict);
      expect((busy as InstanceActionConflict).details.reason).toBe(
        'action-in-progress',
      );

      // The process is gone: nothing renews its leases any more.
      dying.stop();
      let settled = 0;
      await waitFor(
        async () => (settled += (await settler.settleAll()).settled),
        total => total === 4,
        LEASE_MS + 15_000,
      );

      // Each ends where the agent says it is; the delete was finished.
      expect(await instances.get(neverSent.id)).toMatchObject({
        state: 'started',
        version: 4,
      });
      expect(
        (await instances.get(neverSent.id))!.pendingAction,
      ).toBeUndefined();
      expect(await instances.get(stopped.id)).toMatchObject({
        state: 'stopped',
        version: 4,
      });
      expect(await instances.get(suspendLost.id)).toMatchObject({
        state: 'started',
        version: 4,
      });
      expect(await instances.get(deleting.id)).toMatchObject({
        state: 'deleted',
        version: 5,
      });
      expect(await domainState(deleting.id)).toBe('missing');
      expect((await hosts.get(host.id))!.used).toEqual({
        cpuCores: usedBefore.cpuCores - testSize.cpuCores,
        memoryMb: usedBefore.memoryMb - testSize.memoryMb,
        storageMb: usedBefore.storageMb - testSize.storageMb,
      });
      const [event] = await events.list(neverSent.id, { limit: 1 });
      expect(event).toMatchObject({
        actor: 'system:interrupted-actions',
        kind: 'reconcile',
        action: 'stop',
        fromState: 'stopped',
        toState: 'started',
        version: 4,
        outcome: 'succeeded',
      });
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'instance-action-settled',
          meta: expect.objectContaining({
            instanceId: neverSent.id,
            action: 'stop',
            from: 'started',
            to: 'started',
          }),
        }),
      );

      // And the instance takes actions again at once.
      const again = await restarted.run(
        (await instances.get(neverSent.id))!,
        'stop',
        4,
        buyer,
      );
      expect(again.instance).toMatchObject({ state: 'stopped', version: 5 });
      expect(await domainState(neverSent.id)).toBe('shutoff');
      connector.close();
    });
  },
);
