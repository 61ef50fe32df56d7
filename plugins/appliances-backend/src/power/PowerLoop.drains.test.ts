import { TestDatabases } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import { DrainQueries } from './DrainQueries';
import { DrainDeps } from './PowerConsolidator';
import { DrainMove, STOPPED_ONLY } from './planDrains';
import { MINUTE, powerLoopBed } from './__testUtils__/powerLoopBed';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  "the power loop's drains on %s",
  databaseId => {
    const setup = (options: { drains: DrainDeps }) =>
      powerLoopBed(databases, databaseId, options);

    it('drains a host holding only long-stopped instances onto a busy host, and records why', async () => {
      const moves: DrainMove[] = [];
      const drains: DrainDeps = {
        instances: undefined as any,
        limits: STOPPED_ONLY,
        migrate: async move => {
          moves.push(move);
        },
      };
      const { db, hosts, store, loop, at, addHost } = await setup({
        drains,
      });
      drains.instances = new DrainQueries(db);
      const busy = await addHost('busy');
      const parked = await addHost('parked');
      await addHost('spare-1');
      await addHost('spare-2');
      const place = async (
        hostname: string,
        hostId: string,
        state: string,
        changedAt: Date,
      ) => {
        const size = { cpuCores: 2, memoryMb: 2048, storageMb: 1000 };
        await hosts.reserve(hostId, size);
        await db('instances').insert({
          id: randomUUID(),
          hostname,
          owner: 'user:default/buyer',
          appliance_id: 'a',
          host_id: hostId,
          cpu_cores: size.cpuCores,
          memory_mb: size.memoryMb,
          storage_mb: size.storageMb,
          state,
          version: 4,
          created_at: changedAt,
          updated_at: changedAt,
        });
      };
      await place('web', busy.id, 'started', at(0));
      await place('old-db', parked.id, 'stopped', at(0));

      await loop.tick(at(5));
      expect(moves).toEqual([]);
      await loop.tick(at(11));
      expect(moves).toEqual([
        expect.objectContaining({
          hostname: 'old-db',
          version: 4,
          toHostId: busy.id,
        }),
      ]);
      const [drain] = (await store.decisions({ hostIds: [parked.id] })).filter(
        d => d.action === 'drain',
      );
      expect(drain).toMatchObject({
        actor: 'power-loop',
        outcome: 'done',
        reason: expect.stringMatching(
          /^Only stopped instances for at least 10 min \(old-db\): moved to busy so that it can be switched off/,
        ),
      });
    });

    it("waits the hold before draining a host again after one of the loop's moves from it failed", async () => {
      const moves: DrainMove[] = [];
      const drains: DrainDeps = {
        instances: undefined as any,
        limits: { ...STOPPED_ONLY, instanceHoldMs: 15 * MINUTE },
        migrate: async move => {
          moves.push(move);
        },
      };
      const { db, hosts, loop, at, addHost } = await setup({ drains });
      drains.instances = new DrainQueries(db);
      const busy = await addHost('busy');
      const parked = await addHost('parked');
      await addHost('spare-1');
      await addHost('spare-2');
      const size = { cpuCores: 2, memoryMb: 2048, storageMb: 1000 };
      for (const [hostname, hostId, state] of [
        ['web', busy.id, 'started'],
        ['old-db', parked.id, 'stopped'],
      ]) {
        await hosts.reserve(hostId, size);
        await db('instances').insert({
          id: randomUUID(),
          hostname,
          owner: 'user:default/buyer',
          appliance_id: 'a',
          host_id: hostId,
          cpu_cores: size.cpuCores,
          memory_mb: size.memoryMb,
          storage_mb: size.storageMb,
          state,
          version: 4,
          created_at: at(-60),
          updated_at: at(-60),
        });
      }
      // The loop's move of old-db failed at minute 0 (after its drain had started it).
      await db('operations').insert({
        id: randomUUID(),
        kind: 'migrate',
        instance_id: randomUUID(),
        requested_by: 'power-loop',
        request_hash: 'h',
        request: JSON.stringify({
          fromState: 'stopped',
          sourceHostId: parked.id,
          claimedVersion: 5,
        }),
        state: 'failed',
        created_at: at(-1),
        updated_at: at(0),
        finished_at: at(0),
      });

      // (The spares, empty from minute 10, stay on: the grace is 10 minutes.)
      await loop.tick(at(10));
      await loop.tick(at(14));
      expect(moves).toEqual([]);
      await loop.tick(at(16));
      expect(moves).toEqual([
        expect.objectContaining({ hostname: 'old-db', toHostId: busy.id }),
      ]);
    });

    it('with moveRunning, moves a settled running instance off a host, which then goes off without the grace', async () => {
      const moves: DrainMove[] = [];
      const drains: DrainDeps = {
        instances: undefined as any,
        limits: {
          moveRunning: true,
          instanceHoldMs: 15 * MINUTE,
          maxMovesInFlight: 4,
        },
        migrate: async move => {
          moves.push(move);
        },
      };
      const { db, hosts, bmc, store, loop, at, addHost, reload } = await setup({
        drains,
      });
      drains.instances = new DrainQueries(db);
      const busy = await addHost('busy');
      const small = await addHost('small');
      await addHost('spare-1');
      await addHost('spare-2');
      const size = { cpuCores: 2, memoryMb: 2048, storageMb: 1000 };
      const place = async (hostname: string, hostId: string, since: Date) => {
        const id = randomUUID();
        await hosts.reserve(hostId, size);
        await db('instances').insert({
          id,
          hostname,
          owner: 'user:default/buyer',
          appliance_id: 'a',
          host_id: hostId,
          cpu_cores: size.cpuCores,
          memory_mb: size.memoryMb,
          storage_mb: size.storageMb,
          state: 'started',
          version: 7,
          created_at: since,
          updated_at: since,
        });
        return id;
      };
      // busy holds more than small: small is the one emptied.
      await place('web', busy.id, at(0));
      await place('db', busy.id, at(0));
      const api = await place('api', small.id, at(0));

      // api started 10 minutes ago: within the 15-minute hold.
      await loop.tick(at(10));
      expect(moves).toEqual([]);
      await loop.tick(at(16));
      expect(moves).toEqual([
        expect.objectContaining({
          instanceId: api,
          version: 7,
          toHostId: busy.id,
          running: true,
        }),
      ]);
      const [drain] = (await store.decisions({ hostIds: [small.id] })).filter(
        d => d.action === 'drain',
      );
      expect(drain).toMatchObject({
        outcome: 'done',
        reason: expect.stringMatching(
          /^Everything on it fits on other powered-on hosts \(api; 1 running, 2 GiB of memory to copy, each guest paused briefly at the switch-over\): moved live to busy/,
        ),
      });
      // The move lands (as the migration's commit would record it).
      await hosts.reserve(busy.id, size);
      await hosts.release(small.id, size);
      await db('instances')
        .where({ id: api })
        .update({ host_id: busy.id, version: 8, updated_at: at(17) });
      // Empty from minute 17 and off at once, not after the 10-minute grace.
      await loop.tick(at(17));
      expect(bmc.peek(small.address)).toBe('off');
      expect((await reload(small.id)).power.state).toBe('off');
      const [off] = (await store.decisions({ hostIds: [small.id] })).filter(
        d => d.action === 'off',
      );
      expect(off.reason).toMatch(
        /^Emptied by a drain, so off without waiting for the grace; 42 cores/,
      );
      // api was moved a minute ago: busy is not emptied back onto a spare.
      await loop.tick(at(20));
      expect(moves).toHaveLength(1);
    });
  },
);
