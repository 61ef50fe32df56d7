import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { waitFor } from '@tempest/provider-agent/testing';
import { AgentConnector } from '../hosts/AgentConnector';
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
import {
  InstanceActionConflict,
  InstanceActionUnavailable,
  InstanceActions,
} from './InstanceActions';
import { InstanceEventStore } from './InstanceEventStore';
import { InstanceReconciler } from './InstanceReconciler';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'instance actions on %s',
  databaseId => {
    const env = useProvisionTestAgent({ os: 64 * 1024, appliance: 64 * 1024 });

    async function setup() {
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

    async function refusal(promise: Promise<unknown>) {
      try {
        await promise;
      } catch (e) {
        if (e instanceof InstanceActionConflict)
          return { message: e.message, ...e.details };
        throw e;
      }
      throw new Error('expected a refusal');
    }

    it('stops, starts, suspends and resumes through the agent, one version per transition', async () => {
      const { actions, instances, events, provision, domainState } =
        await setup();
      const instance = await provision('act-1');
      expect(instance).toMatchObject({ state: 'started', version: 2 });

      const stopped = await actions.run(instance, 'stop', 2, buyer);
      expect(stopped.instance).toMatchObject({ state: 'stopped', version: 3 });
      expect(stopped.instance.pendingAction).toBeUndefined();
      expect(await domainState(instance.id)).toBe('shutoff');

      const started = await actions.run(stopped.instance, 'start', 3, buyer);
      expect(started.instance).toMatchObject({ state: 'started', version: 4 });
      expect(await domainState(instance.id)).toBe('running');

      const suspended = await actions.run(
        started.instance,
        'suspend',
        4,
        buyer,
      );
      expect(suspended.instance).toMatchObject({
        state: 'suspended',
        version: 5,
      });
      expect(await domainState(instance.id)).toBe('paused');

      const resumed = await actions.run(suspended.instance, 'resume', 5, buyer);
      expect(resumed.instance).toMatchObject({ state: 'started', version: 6 });
      expect(await domainState(instance.id)).toBe('running');

      const history = await events.list(instance.id, { limit: 10 });
      expect(
        history.map(e => [
          e.kind,
          e.action ?? null,
          e.fromState,
          e.toState,
          e.version,
        ]),
      ).toEqual([
        ['action', 'resume', 'suspended', 'started', 6],
        ['action', 'suspend', 'started', 'suspended', 5],
        ['action', 'start', 'stopped', 'started', 4],
        ['action', 'stop', 'started', 'stopped', 3],
        ['provision', null, 'provisioning', 'started', 2],
      ]);
      expect((await instances.get(instance.id))!.startedAt).toBeDefined();
    });

    it('refuses a stale version with the current state, and a forbidden action with the allowed ones', async () => {
      const { actions, instances, events, provision } = await setup();
      const instance = await provision('act-2');
      const stale = await refusal(actions.run(instance, 'stop', 1, buyer));
      expect(stale).toMatchObject({
        reason: 'stale-version',
        currentState: 'started',
        currentVersion: 2,
      });
      const forbidden = await refusal(actions.run(instance, 'start', 2, buyer));
      expect(forbidden).toMatchObject({
        reason: 'forbidden-action',
        currentState: 'started',
        allowedActions: ['stop', 'suspend'],
      });
      expect(forbidden.message).toMatch(
        /Cannot start an instance that is started; allowed: stop, suspend/,
      );
      // The reserved migrate is never offered nor accepted.
      expect(
        (await refusal(actions.run(instance, 'migrate', 2, buyer))).reason,
      ).toBe('forbidden-action');
      expect((await instances.get(instance.id))!.version).toBe(2);
      const denied = (await events.list(instance.id, { limit: 10 })).filter(
        e => e.kind === 'denied',
      );
      expect(denied).toHaveLength(3);
    });

    it('reverts when the agent refuses, and says why', async () => {
      const { actions, instances, events, provision, client } = await setup();
      const instance = await provision('act-3');
      // The guest went down behind our back: suspending it is refused by the agent.
      await client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: diskNameOf(instance.id) } },
      });
      const refused = await refusal(actions.run(instance, 'suspend', 2, buyer));
      expect(refused).toMatchObject({
        reason: 'agent-refused',
        currentState: 'started',
        currentVersion: 4,
      });
      expect(refused.message).toMatch(/DOMAIN_STATE_CONFLICT/);
      expect(refused.message).toMatch(/the instance stays started/);
      const after = (await instances.get(instance.id))!;
      expect(after).toMatchObject({ state: 'started', version: 4 });
      expect(after.pendingAction).toBeUndefined();
      expect(after.error).toMatch(/DOMAIN_STATE_CONFLICT/);
      const [last] = await events.list(instance.id, { limit: 1 });
      expect(last).toMatchObject({
        action: 'suspend',
        fromState: 'suspended',
        toState: 'started',
        outcome: 'failed',
      });
    });

    it('refuses an action on a host that has no agent certificate without claiming it', async () => {
      const { db, actions, instances, provision } = await setup();
      const instance = await provision('act-nocert');
      await actions.run(instance, 'stop', instance.version, buyer);
      const stopped = (await instances.get(instance.id))!;
      // Online in the database but never enrolled (or its certificate withdrawn).
      await db('hosts')
        .where({ id: stopped.hostId })
        .update({ certificate_fingerprint: null });
      let refused: any;
      try {
        await actions.run(stopped, 'start', stopped.version, buyer);
      } catch (e) {
        refused = e;
      }
      expect(refused).toBeInstanceOf(InstanceActionUnavailable);
      expect(refused.message).toMatch(/has not enrolled.*nothing was changed/);
      expect(refused.details).toMatchObject({ reason: 'agent-unavailable' });
      const after = (await instances.get(instance.id))!;
      expect(after).toMatchObject({
        state: 'stopped',
        version: stopped.version,
      });
      expect(after.error).toBeUndefined();
    });

    it('lets exactly one of a flood of concurrent actions win per version', async () => {
      const { actions, instances, provision } = await setup();
      const instance = await provision('act-4');
      const results = await Promise.allSettled(
        Array.from({ length: 25 }, (_, i) =>
          actions.run(instance, i % 2 ? 'stop' : 'suspend', 2, buyer),
        ),
      );
      const won = results.filter(r => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = results.flatMap(r =>
        r.status === 'rejected' ? [r.reason] : [],
      );
      expect(lost.every(e => e instanceof InstanceActionConflict)).toBe(true);
      expect((await instances.get(instance.id))!.version).toBe(3);

      // The store's claim alone: 50 concurrent claims on one version, one winner.
      const current = (await instances.get(instance.id))!;
      const claims = await Promise.all(
        Array.from({ length: 50 }, () =>
          instances.claimAction(current.id, {
            expectedVersion: current.version,
            from: current.state,
            to: 'started',
            action: 'start',
            leaseMs: 15_000,
          }),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    it('deletes a stopped instance: domain and disk removed, capacity and hostname freed; deleted allows nothing', async () => {
      const { actions, instances, hosts, host, provision, client } =
        await setup();
      const instance = await provision('act-5');
      expect(
        (await refusal(actions.run(instance, 'delete', 2, buyer))).reason,
      ).toBe('forbidden-action');
      const { instance: stopped } = await actions.run(
        instance,
        'stop',
        2,
        buyer,
      );
      const { instance: deleted } = await actions.run(
        stopped,
        'delete',
        3,
        buyer,
      );
      expect(deleted).toMatchObject({ state: 'deleted', version: 5 });
      const name = diskNameOf(instance.id);
      expect(
        (await client.GET('/v1/domains/{name}', { params: { path: { name } } }))
          .response.status,
      ).toBe(404);
      expect(
        (await client.GET('/v1/disks/{name}', { params: { path: { name } } }))
          .response.status,
      ).toBe(404);
      expect((await hosts.get(host.id))!.used).toEqual({
        cpuCores: 0,
        memoryMb: 0,
        storageMb: 0,
      });
      expect(await instances.hostnameTaken('act-5')).toBe(false);
      const again = await refusal(actions.run(deleted, 'delete', 5, buyer));
      expect(again).toMatchObject({
        reason: 'forbidden-action',
        currentState: 'deleted',
        allowedActions: [],
      });
    });

    it('retries a failed provisioning operation', async () => {
      const { actions, instances, runner, db, host, provision } = await setup();
      const failed = await provision('act-6', {
        cpuCores: 16,
        memoryMb: 1024,
        storageMb: 1024,
      });
      expect(failed.state).toBe('error');
      await db('hosts').where({ id: host.id }).update({ cpu_cores: 32 });
      const result = await actions.run(failed, 'retry', failed.version, buyer);
      expect(result.operationId).toBe(failed.operationId);
      expect(result.instance.state).toBe('provisioning');
      await runner.idle();
      await waitFor(
        () => instances.get(failed.id),
        i => i!.state === 'started',
      );
    });

    it('keeps the addresses the agent reports, updating them when they change', async () => {
      const { reconciler, instances, provision, db, client } = await setup();
      const a = await provision('addr-1');
      expect(a.addresses).toHaveLength(1);
      const held = a.addresses;
      // The guest's lease moved on (as recorded): the agent's truth wins, without a version bump.
      await db('instances')
        .where({ id: a.id })
        .update({ addresses: JSON.stringify(['10.9.9.9']) });
      await reconciler.reconcileAll();
      expect(await instances.get(a.id)).toMatchObject({
        addresses: held,
        version: a.version,
      });
      await client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: diskNameOf(a.id) } },
      });
      await reconciler.reconcileAll();
      expect(await instances.get(a.id)).toMatchObject({
        state: 'stopped',
        addresses: [],
      });
    });

    it('reconciles drift: a guest that died becomes stopped, a vanished domain error, with events and audit', async () => {
      const { reconciler, instances, events, provision, client, auditor } =
        await setup();
      const a = await provision('drift-1');
      const b = await provision('drift-2');
      expect(await reconciler.reconcileAll()).toEqual({ checked: 2, fixed: 0 });
      await client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: diskNameOf(a.id) } },
      });
      await client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: diskNameOf(b.id) } },
      });
      await client.DELETE('/v1/domains/{name}', {
        params: { path: { name: diskNameOf(b.id) } },
      });
      expect(await reconciler.reconcileAll()).toEqual({ checked: 2, fixed: 2 });
      expect(await instances.get(a.id)).toMatchObject({
        state: 'stopped',
        version: 3,
      });
      expect(await instances.get(b.id)).toMatchObject({
        state: 'error',
        version: 3,
        error: 'The domain is gone from its host',
      });
      const [event] = await events.list(a.id, { limit: 1 });
      expect(event).toMatchObject({
        kind: 'reconcile',
        actor: 'system:reconciler',
        fromState: 'started',
        toState: 'stopped',
        version: 3,
      });
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'instance-reconciled',
          meta: expect.objectContaining({
            instanceId: a.id,
            from: 'started',
            to: 'stopped',
            version: 3,
          }),
        }),
      );
    });
  },
);
