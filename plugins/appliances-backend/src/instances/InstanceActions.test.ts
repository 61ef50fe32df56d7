import { TestDatabases } from '@backstage/backend-test-utils';
import { waitFor } from '@tempest/provider-agent/testing';
import { diskNameOf } from '../operations/diskNameOf';
import { useInstanceActionsTestBed } from '../__testUtils__/instanceActionsTestBed';
import { testBuyer as buyer } from '../__testUtils__/provisionTestBed';
import {
  InstanceActionConflict,
  InstanceActionUnavailable,
} from './InstanceActionErrors';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'instance actions on %s',
  databaseId => {
    const setup = useInstanceActionsTestBed(databases, databaseId);

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
        allowedActions: ['stop', 'suspend', 'migrate'],
      });
      expect(forbidden.message).toMatch(
        /Cannot start an instance that is started; allowed: stop, suspend, migrate/,
      );
      expect((await instances.get(instance.id))!.version).toBe(2);
      const denied = (await events.list(instance.id, { limit: 10 })).filter(
        e => e.kind === 'denied',
      );
      expect(denied).toHaveLength(2);
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
  },
);
