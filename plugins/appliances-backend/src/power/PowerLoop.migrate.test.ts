import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import { useMigrationTestBed } from '../__testUtils__/migrationTestBed';
import { DrainQueries } from './DrainQueries';
import { HostPower } from './HostPower';
import { PowerConsolidator } from './PowerConsolidator';
import { PowerLoop } from './PowerLoop';
import { PowerReconciler } from './PowerReconciler';
import { PowerStore } from './PowerStore';
import { STOPPED_ONLY } from './planDrains';
import { SimulatedBmc } from './SimulatedBmc';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const MINUTE = 60_000;

describe.each(databases.eachSupportedId())(
  'the power loop draining through the migrate action and two real agents on %s',
  databaseId => {
    const setup = useMigrationTestBed(databases, databaseId);

    it('moves a long-stopped instance off its host with a migrate operation, then switches the emptied host off', async () => {
      const bed = await setup();
      const { db, hosts, instances, actions, runner } = bed;
      const parked = await bed.stoppedInstance('parked-1');
      const [from, to] =
        parked.hostId === bed.a.host.id ? [bed.a, bed.b] : [bed.b, bed.a];
      // Something keeps the other host on (a row only: the agents never see it).
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
        state: 'started',
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
          throw new Error('nothing runs here');
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
            limits: STOPPED_ONLY,
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
      // Stopped an hour before the loop's clock: past the grace.
      const t0 = Date.now() + 60 * MINUTE;
      const at = (minutes: number) => new Date(t0 + minutes * MINUTE);

      await loop.tick(at(0));
      expect(migrated).toHaveLength(1);
      await runner.idle();
      expect(await instances.get(parked.id)).toMatchObject({
        state: 'stopped',
        hostId: to.host.id,
        version: parked.version + 2,
      });
      const [drain] = (
        await store.decisions({ hostIds: [from.host.id] })
      ).filter(d => d.action === 'drain');
      expect(drain).toMatchObject({
        actor: 'power-loop',
        outcome: 'done',
        reason: expect.stringMatching(
          new RegExp(
            `^Only stopped instances .*\\(parked-1\\): moved to ${to.host.name}`,
          ),
        ),
      });

      // Empty now: off in the next run, without waiting for the grace.
      await loop.tick(at(1));
      expect(bmc.peek(`${from.host.name}.bmc`)).toBe('off');
      expect(bmc.peek(`${to.host.name}.bmc`)).toBe('on');
      expect((await hosts.get(from.host.id))!.power.state).toBe('off');
      const [off] = (await store.decisions({ hostIds: [from.host.id] })).filter(
        d => d.action === 'off',
      );
      expect(off.reason).toMatch(/^Emptied by a drain/);
    });
  },
);
