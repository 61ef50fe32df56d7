import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import { AgentConnector } from '../hosts/AgentConnector';
import { InterruptedActions } from '../instances/InterruptedActions';
import {
  onAgent,
  useMigrationTestBed,
} from '../__testUtils__/migrationTestBed';
import {
  testBuyer as buyer,
  testSize,
} from '../__testUtils__/provisionTestBed';
import { diskNameOf } from './diskNameOf';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'migrating a stopped instance between two real agents on %s',
  databaseId => {
    const setup = useMigrationTestBed(databases, databaseId);

    it('pulls the disk to the other host, commits host, capacity and version at once, cleans the source, and starts there', async () => {
      const bed = await setup();
      const { actions, instances, operations, runner, events, hosts } = bed;
      const instance = await bed.stoppedInstance('move-1');
      const [from, to] =
        instance.hostId === bed.a.host.id ? [bed.a, bed.b] : [bed.b, bed.a];
      const fromClient = bed.connector.forHost(from.host);
      const toClient = bed.connector.forHost(to.host);

      const claimed = await actions.run(
        instance,
        'migrate',
        instance.version,
        buyer,
      );
      expect(claimed.instance).toMatchObject({
        state: 'migrating',
        version: instance.version + 1,
        hostId: from.host.id,
      });
      await runner.idle();

      const op = (await operations.get(claimed.operationId!))!;
      expect(op).toMatchObject({ kind: 'migrate', state: 'succeeded' });
      expect(op.steps.map(s => [s.name, s.state])).toEqual([
        ['place', 'done'],
        ['reserve-capacity', 'done'],
        ['install-images', 'done'],
        ['export', 'done'],
        ['transfer', 'done'],
        ['define', 'done'],
        ['commit', 'done'],
        ['clean-up', 'done'],
      ]);
      const transfer = op.steps.find(s => s.name === 'transfer')!;
      expect(transfer.detail).toMatchObject({
        from: from.host.name,
        to: to.host.name,
      });
      expect(Number(transfer.detail!.bytesDone)).toBeGreaterThan(0);
      // The finished step keeps the import's average speed.
      expect(Number(transfer.detail!.speedBytesPerSecond)).toBeGreaterThan(0);

      const moved = (await instances.get(instance.id))!;
      expect(moved).toMatchObject({
        state: 'stopped',
        version: instance.version + 2,
        hostId: to.host.id,
      });
      expect((await hosts.get(from.host.id))!.used.cpuCores).toBe(0);
      expect((await hosts.get(to.host.id))!.used).toEqual(testSize);
      expect(await onAgent(toClient, instance.id)).toEqual({
        disk: diskNameOf(instance.id),
        domain: 'shutoff',
      });
      expect(await onAgent(fromClient, instance.id)).toEqual({
        disk: undefined,
        domain: undefined,
      });
      const history = await events.list(instance.id, { limit: 5 });
      expect(history[0]).toMatchObject({
        kind: 'migrate',
        fromState: 'migrating',
        toState: 'stopped',
        outcome: 'succeeded',
        message: `Moved to ${to.host.name}`,
      });
      expect(bed.auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({ eventId: 'instance-migrated' }),
      );

      const running = await actions.run(moved, 'start', moved.version, buyer);
      expect(running.instance.state).toBe('started');
      expect((await onAgent(toClient, instance.id)).domain).toBe('running');
    });

    it('reverts everything when the destination stops sending heartbeats', async () => {
      // The destination's import stands still as far as the backend can see.
      let frozenHostId: string | undefined;
      const connector = { forHost: undefined as any } as AgentConnector;
      const bed = await setup({
        agents: connector,
        migrationHeartbeatTimeoutMs: 2000,
      });
      connector.forHost = host => {
        const client = bed.connector.forHost(host);
        if (host.id !== frozenHostId) return client;
        return new Proxy(client, {
          get: (target, prop) =>
            prop !== 'GET'
              ? (target as any)[prop]
              : async (url: string, init: any) => {
                  const answer = await (target.GET as any)(url, init);
                  if (url === '/v1/imports/{id}' && answer.data)
                    answer.data = {
                      ...answer.data,
                      state: 'transferring',
                      heartbeatAt: '2026-01-01T00:00:00.000Z',
                    };
                  return answer;
                },
        });
      };
      const { actions, instances, operations, runner, events, hosts } = bed;
      const instance = await bed.stoppedInstance('move-2');
      const [from, to] =
        instance.hostId === bed.a.host.id ? [bed.a, bed.b] : [bed.b, bed.a];
      frozenHostId = to.host.id;

      const claimed = await actions.run(
        instance,
        'migrate',
        instance.version,
        buyer,
      );
      await runner.idle();

      const op = (await operations.get(claimed.operationId!))!;
      expect(op).toMatchObject({ state: 'failed', failedStep: 'transfer' });
      expect(op.error).toBe(
        `transfer failed: ${to.host.name} sent no heartbeat for 2 s while pulling the disk from ${from.host.name}`,
      );
      expect(op.steps.find(s => s.name === 'export')!.state).toBe('undone');
      expect(op.steps.find(s => s.name === 'reserve-capacity')!.state).toBe(
        'undone',
      );
      const after = (await instances.get(instance.id))!;
      expect(after).toMatchObject({
        state: 'stopped',
        version: instance.version + 2,
        hostId: from.host.id,
      });
      expect((await hosts.get(to.host.id))!.used.cpuCores).toBe(0);
      expect((await hosts.get(from.host.id))!.used).toEqual(testSize);
      expect(
        await onAgent(bed.connector.forHost(to.host), instance.id),
      ).toEqual({ disk: undefined, domain: undefined });
      expect(
        await onAgent(bed.connector.forHost(from.host), instance.id),
      ).toEqual({ disk: diskNameOf(instance.id), domain: 'shutoff' });
      const [last] = await events.list(instance.id, { limit: 1 });
      expect(last).toMatchObject({
        kind: 'migrate',
        outcome: 'failed',
        toState: 'stopped',
      });
      expect(last.message).toMatch(/the instance stays on host-/);

      // It can still move once the destination answers truly.
      frozenHostId = undefined;
      const again = await actions.run(after, 'migrate', after.version, buyer);
      await runner.idle();
      expect((await operations.get(again.operationId!))!.state).toBe(
        'succeeded',
      );
      expect((await instances.get(instance.id))!.hostId).toBe(to.host.id);
    });

    it('resumes a move whose backend died right after claiming it', async () => {
      const bed = await setup();
      const { db, instances, operations, runner, events, hosts } = bed;
      const instance = await bed.stoppedInstance('move-3');
      const to = instance.hostId === bed.a.host.id ? bed.b : bed.a;
      // What InstanceActions commits for a move, with a lease that lapses at once.
      const operationId = randomUUID();
      await db.transaction(async trx => {
        await instances.claimAction(
          instance.id,
          {
            expectedVersion: instance.version,
            from: 'stopped',
            to: 'migrating',
            action: 'migrate',
            leaseMs: 1,
          },
          trx,
        );
        await operations.insert(
          trx,
          {
            id: operationId,
            kind: 'migrate',
            instanceId: instance.id,
            requestedBy: buyer,
            requestHash: 'h',
            request: {
              fromState: 'stopped',
              sourceHostId: instance.hostId,
              claimedVersion: instance.version + 1,
            },
          },
          new Date(),
        );
        await trx('instances')
          .where({ id: instance.id })
          .update({ operation_id: operationId });
      });
      await new Promise(r => setTimeout(r, 20));
      const settler = new InterruptedActions({
        instances,
        events,
        hosts,
        operations,
        agents: bed.connector,
        auditor: bed.auditor,
        logger: mockServices.logger.mock(),
        shutdownTimeoutSeconds: 1,
      });
      expect(await settler.settleAll()).toEqual({ settled: 1 });
      const settled = (await instances.get(instance.id))!;
      expect(settled.state).toBe('migrating');
      expect(settled.pendingAction).toBeUndefined();

      expect(await runner.resumeOrphaned()).toEqual([operationId]);
      await runner.idle();
      expect((await operations.get(operationId))!.state).toBe('succeeded');
      expect(await instances.get(instance.id)).toMatchObject({
        state: 'stopped',
        hostId: to.host.id,
      });
    });
  },
);
