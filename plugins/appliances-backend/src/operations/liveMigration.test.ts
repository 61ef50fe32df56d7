import { TestDatabases } from '@backstage/backend-test-utils';
import { AgentConnector } from '../hosts/AgentConnector';
import { Host } from '../hosts/HostStore';
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

/** A connector whose client for one host answers some GETs differently. */
function connectorAltering(
  real: () => AgentConnector,
  alter: (host: Host, url: string, answer: any) => any,
): AgentConnector {
  return {
    forHost: (host: Host) => {
      const client = real().forHost(host);
      return new Proxy(client, {
        get: (target, prop) =>
          prop !== 'GET'
            ? (target as any)[prop]
            : async (url: string, init: any) =>
                alter(host, url, await (target.GET as any)(url, init)),
      });
    },
  } as AgentConnector;
}

describe.each(databases.eachSupportedId())(
  'moving a running instance live between two real agents on %s',
  databaseId => {
    const setup = useMigrationTestBed(databases, databaseId);
    type Bed = Awaited<ReturnType<typeof setup>>;

    it('moves it while it runs: the domain runs on the other host, host, capacity and version are committed at once, the source is cleaned', async () => {
      const bed = await setup();
      const { actions, instances, operations, runner, events, hosts } = bed;
      const instance = await bed.runningInstance('live-1');
      const [from, to] =
        instance.hostId === bed.a.host.id ? [bed.a, bed.b] : [bed.b, bed.a];

      const claimed = await actions.run(
        instance,
        'migrate',
        instance.version,
        buyer,
      );
      expect(claimed.instance).toMatchObject({
        state: 'migrating',
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
        ['receive', 'done'],
        ['live-move', 'done'],
        ['commit', 'done'],
        ['clean-up', 'done'],
      ]);
      const liveMove = op.steps.find(s => s.name === 'live-move')!;
      expect(liveMove.detail).toMatchObject({
        from: from.host.name,
        to: to.host.name,
      });
      expect(Number(liveMove.detail!.bytesDone)).toBeGreaterThan(0);

      const moved = (await instances.get(instance.id))!;
      expect(moved).toMatchObject({
        state: 'started',
        version: instance.version + 2,
        hostId: to.host.id,
        network: instance.network,
        // The guest kept running, and its address with it.
        addresses: instance.addresses,
      });
      expect(instance.addresses).toHaveLength(1);
      expect((await hosts.get(from.host.id))!.used.cpuCores).toBe(0);
      expect((await hosts.get(to.host.id))!.used).toEqual(testSize);
      expect(
        await onAgent(bed.connector.forHost(to.host), instance.id),
      ).toEqual({ disk: diskNameOf(instance.id), domain: 'running' });
      expect(
        await onAgent(bed.connector.forHost(from.host), instance.id),
      ).toEqual({ disk: undefined, domain: undefined });
      const [last] = await events.list(instance.id, { limit: 1 });
      expect(last).toMatchObject({
        kind: 'migrate',
        fromState: 'migrating',
        toState: 'started',
        outcome: 'succeeded',
        message: `Moved to ${to.host.name}`,
      });

      // It is an ordinary running instance there.
      const stopped = await actions.run(moved, 'stop', moved.version, buyer);
      expect(stopped.instance.state).toBe('stopped');
      expect(
        (await onAgent(bed.connector.forHost(to.host), instance.id)).domain,
      ).toBe('shutoff');
    });

    it('goes forward, never back, when the move finished while the backend thought it stalled', async () => {
      // The source's migration looks frozen to the backend, but it really runs to the end.
      const frozen: { sourceHostId?: string; bed?: Bed } = {};
      const connector = connectorAltering(
        () => frozen.bed!.connector,
        (host, url, answer) =>
          host.id === frozen.sourceHostId &&
          url === '/v1/domains/{name}/migrations/{id}' &&
          answer.data
            ? {
                ...answer,
                data: {
                  ...answer.data,
                  state: 'migrating',
                  heartbeatAt: '2026-01-01T00:00:00.000Z',
                },
              }
            : answer,
      );
      const bed = await setup({
        agents: connector,
        migrationHeartbeatTimeoutMs: 1500,
      });
      frozen.bed = bed;
      const { actions, instances, operations, runner } = bed;
      const instance = await bed.runningInstance('live-2');
      const to = instance.hostId === bed.a.host.id ? bed.b : bed.a;
      frozen.sourceHostId = instance.hostId;

      const claimed = await actions.run(
        instance,
        'migrate',
        instance.version,
        buyer,
      );
      await runner.idle();

      const op = (await operations.get(claimed.operationId!))!;
      expect(op.state).toBe('succeeded');
      expect(op.steps.find(s => s.name === 'live-move')!.state).toBe('done');
      expect(op.steps.find(s => s.name === 'export')!.state).toBe('done');
      expect(await instances.get(instance.id)).toMatchObject({
        state: 'started',
        hostId: to.host.id,
      });
      expect(
        (await onAgent(bed.connector.forHost(to.host), instance.id)).domain,
      ).toBe('running');
    });

    it('reverts before anything moves when the destination does not offer the instance network, and the guest never stops', async () => {
      const lacking: { destinationId?: string; bed?: Bed } = {};
      const connector = connectorAltering(
        () => lacking.bed!.connector,
        (host, url, answer) =>
          host.id === lacking.destinationId && url === '/v1/info' && answer.data
            ? { ...answer, data: { ...answer.data, networks: [] } }
            : answer,
      );
      const bed = await setup({ agents: connector });
      lacking.bed = bed;
      const { actions, instances, operations, runner, events, hosts } = bed;
      const instance = await bed.runningInstance('live-3');
      const [from, to] =
        instance.hostId === bed.a.host.id ? [bed.a, bed.b] : [bed.b, bed.a];
      lacking.destinationId = to.host.id;

      const claimed = await actions.run(
        instance,
        'migrate',
        instance.version,
        buyer,
      );
      await runner.idle();

      const op = (await operations.get(claimed.operationId!))!;
      expect(op).toMatchObject({ state: 'failed', failedStep: 'receive' });
      expect(op.error).toBe(
        `receive failed: ${to.host.name} does not offer the network ${instance.network} that the running live-3 is attached to; stop the instance to move it to another network`,
      );
      for (const step of ['transfer', 'export', 'reserve-capacity'])
        expect(op.steps.find(s => s.name === step)!.state).toBe('undone');
      expect(await instances.get(instance.id)).toMatchObject({
        state: 'started',
        version: instance.version + 2,
        hostId: from.host.id,
      });
      expect((await hosts.get(to.host.id))!.used.cpuCores).toBe(0);
      expect(
        await onAgent(bed.connector.forHost(to.host), instance.id),
      ).toEqual({ disk: undefined, domain: undefined });
      expect(
        await onAgent(bed.connector.forHost(from.host), instance.id),
      ).toEqual({ disk: diskNameOf(instance.id), domain: 'running' });
      const [last] = await events.list(instance.id, { limit: 1 });
      expect(last).toMatchObject({
        kind: 'migrate',
        outcome: 'failed',
        toState: 'started',
      });
    });
  },
);
