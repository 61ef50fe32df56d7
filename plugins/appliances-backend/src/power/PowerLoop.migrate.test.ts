import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import { useMigrationTestBed } from '../__testUtils__/migrationTestBed';
import { DrainQueries } from './DrainQueries';
import { HostPower } from './HostPower';
import { PowerConsolidator } from './PowerConsolidator';
import { PowerLoop } from './PowerLoop';
import { PowerReconciler } from './PowerReconciler';
import { PowerStore } from './PowerStore';
import { DrainLimits, STOPPED_ONLY } from './planDrains';
import { SimulatedBmc } from './SimulatedBmc';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const MINUTE = 60_000;

describe.each(databases.eachSupportedId())(
  'the power loop draining through the migrate action and two real agents on %s',
  databaseId => {
    const setup = useMigrationTestBed(databases, databaseId);

    const LIVE: DrainLimits = {
      moveRunning: true,
      instanceHoldMs: 15 * MINUTE,
      maxMovesInFlight: 4,
    };

    it.each([
      [
        'a long-stopped instance',
        'stopped',
        STOPPED_ONLY,
        /^Only stopped instances for at least 10 min \(parked-1\): moved to host-. so that/,
      ],
      [
        'a running instance, live (moveRunning)',
        'started',
        LIVE,
        /^Everything on it fits on other powered-on hosts \(parked-1; 1 running, 2 GiB of memory to copy, each guest paused briefly at the switch-over\): moved live to host-. so that/,
      ],
    ] as const)(
      'moves %s off its host with a migrate operation, then switches the emptied host off',
      async (_, state, limits, reason) => {
        const bed = await setup();
        const { db, hosts, instances, actions, runner } = bed;
        const parked =
          state === 'stopped'
            ? await bed.stoppedInstance('parked-1')
            : await bed.runningInstance('parked-1');
        const [from, to] =
          parked.hostId === bed.a.host.id ? [bed.a, bed.b] : [bed.b, bed.a];
        // Something that cannot move keeps the other host on (a row only: the agents never see it).
        const anchor = { cpuCores: 1, memoryMb: 512, storageMb: 1000 };
        await hosts.reserve(to.host.id, anchor);
        await db('instances').insert({
          id: randomUUID(),
          hostname: 'anchor',
          owner: 'user:default/buyer',
          appliance_id: 'a',
          host_id: to.host.id,
          cpu_cores: anchor.cpuCores,
          memory_mb: anchor.memoryMb,
          storage_mb: anchor.storageMb,
          state: 'suspended',
          version: 1,
          created_at: new Date(),
          updated_at: new Date(),
        });
        for (const { host } of [from, to])
          await hosts.setBmc(host.id, {
            address: `${host.name}.bmc`,
            username: 'admin',
            password: 'pw',
          });

        const bmc = new SimulatedBmc({ timeoutMs: 50 });
        const store = new PowerStore(db);
        const logger = mockServices.logger.mock();
        const auditor = mockServices.auditor.mock();
        const power = new HostPower({
          hosts,
          store,
          driver: bmc,
          instances,
          stopInstance: async () => {
            throw new Error('the loop never stops instances here');
          },
          softOffTimeoutMs: 0,
          logger,
        });
        const migrated: string[] = [];
        const loop = new PowerLoop({
          reconciler: new PowerReconciler({
            hosts,
            store,
            driver: bmc,
            logger,
            auditor,
            settleMs: 1000,
            bootGraceMs: 5 * MINUTE,
          }),
          consolidator: new PowerConsolidator({
            hosts,
            store,
            power,
            policy: {
              graceMs: 10 * MINUTE,
              reserve: { cpuCores: 0, memoryMb: 0 },
              lowerBand: { cpuCores: 0, memoryMb: 0 },
            },
            logger,
            auditor,
            drains: {
              instances: new DrainQueries(db),
              limits,
              // As createHosting wires it.
              migrate: async move => {
                const instance = (await instances.get(move.instanceId))!;
                const claimed = await actions.run(
                  instance,
                  'migrate',
                  move.version,
                  'power-loop',
                  { hostId: move.toHostId },
                );
                migrated.push(claimed.operationId!);
              },
            },
          }),
          store,
          readingsRetentionHours: 2,
          decisionsRetentionDays: 30,
          logger,
        });
        // Stopped or started an hour before the loop's clock: past the grace and the hold.
        const t0 = Date.now() + 60 * MINUTE;
        const at = (minutes: number) => new Date(t0 + minutes * MINUTE);

        await loop.tick(at(0));
        expect(migrated).toHaveLength(1);
        await runner.idle();
        expect(await instances.get(parked.id)).toMatchObject({
          state,
          hostId: to.host.id,
        });
        const [drain] = (
          await store.decisions({ hostIds: [from.host.id] })
        ).filter(d => d.action === 'drain');
        expect(drain).toMatchObject({
          actor: 'power-loop',
          outcome: 'done',
          reason: expect.stringMatching(reason),
        });
        expect(drain.reason).toContain(`to ${to.host.name} so that`);

        // Empty now: off in the next run, without waiting for the grace.
        await loop.tick(at(1));
        expect(bmc.peek(`${from.host.name}.bmc`)).toBe('off');
        expect(bmc.peek(`${to.host.name}.bmc`)).toBe('on');
        expect((await hosts.get(from.host.id))!.power.state).toBe('off');
        const [off] = (
          await store.decisions({ hostIds: [from.host.id] })
        ).filter(d => d.action === 'off');
        expect(off.reason).toMatch(/^Emptied by a drain/);
      },
    );
  },
);
