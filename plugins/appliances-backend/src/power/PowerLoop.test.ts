import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import {
  provisionTestStores,
  testPricing,
} from '../__testUtils__/provisionTestBed';
import { HostPower } from './HostPower';
import {
  ConsolidationPolicy,
  DrainDeps,
  PowerConsolidator,
} from './PowerConsolidator';
import { DrainMove } from './planDrains';
import { DrainQueries } from './DrainQueries';
import { PowerLoop } from './PowerLoop';
import { PowerReconciler } from './PowerReconciler';
import { PowerStore } from './PowerStore';
import { SimulatedBmc } from './SimulatedBmc';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const MINUTE = 60_000;
const policy: ConsolidationPolicy = {
  graceMs: 10 * MINUTE,
  reserve: { cpuCores: 20, memoryMb: 0 },
  lowerBand: { cpuCores: 8, memoryMb: 0 },
};

describe.each(databases.eachSupportedId())(
  'the power loop on %s',
  databaseId => {
    async function setup(
      options: { consolidate?: boolean; drains?: DrainDeps } = {},
    ) {
      const { db, hosts, instances } = await provisionTestStores(
        databases,
        databaseId,
      );
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
          throw new Error('no instances here');
        },
        softOffTimeoutMs: 0,
        logger,
      });
      const reconciler = new PowerReconciler({
        hosts,
        store,
        driver: bmc,
        logger,
        auditor,
        settleMs: 1000,
        bootGraceMs: 5 * MINUTE,
      });
      const loop = new PowerLoop({
        reconciler,
        consolidator:
          options.consolidate === false
            ? undefined
            : new PowerConsolidator({
                hosts,
                store,
                power,
                policy,
                logger,
                auditor,
                drains: options.drains,
              }),
        store,
        readingsRetentionHours: 2,
        decisionsRetentionDays: 30,
        logger,
      });
      const t0 = Date.now() + 60 * MINUTE;
      const at = (minutes: number) => new Date(t0 + minutes * MINUTE);

      async function addHost(
        name: string,
        state: 'online' | 'offline' | 'maintenance' = 'online',
      ) {
        const host = await hosts.create(
          {
            name,
            owner: 'user:default/provider',
            cpuModel: 'Sim',
            coreSpeedMhz: 2000,
            cpuCores: 16,
            memoryMb: 65536,
            storageMb: 1_000_000,
            pricing: testPricing,
            agentUrl: 'https://127.0.0.1:1',
            bmc: { address: `${name}.bmc`, username: 'admin', password: 'pw' },
          },
          { tokenHash: randomUUID(), expiresAt: new Date(Date.now() + MINUTE) },
        );
        await db('hosts')
          .where({ id: host.id })
          .update({ state, last_heartbeat_at: at(0) });
        return { ...(await hosts.get(host.id))!, address: `${name}.bmc` };
      }
      const reload = async (id: string) => (await hosts.get(id))!;
      return { db, hosts, bmc, store, loop, at, addHost, reload };
    }

    it('corrects drift made behind its back within one interval and records it', async () => {
      const { bmc, store, loop, at, addHost, reload } = await setup({
        consolidate: false,
      });
      const host = await addHost('drift-1');
      await loop.tick(at(0));
      expect((await reload(host.id)).power).toMatchObject({
        state: 'on',
        watts: 150,
      });

      bmc.pressButton(host.address, 'off');
      await loop.tick(at(1));
      expect((await reload(host.id)).power).toMatchObject({
        state: 'off',
        watts: 0,
      });
      bmc.pressButton(host.address, 'on');
      await loop.tick(at(2));
      expect((await reload(host.id)).power.state).toBe('on');

      const decisions = await store.decisions({ hostIds: [host.id] });
      expect(decisions.map(d => [d.action, d.reason])).toEqual([
        [
          'drift',
          expect.stringMatching(
            /The BMC says on while Tempest had off: changed outside Tempest/,
          ),
        ],
        [
          'drift',
          expect.stringMatching(
            /The BMC says off while Tempest had on: changed outside Tempest/,
          ),
        ],
      ]);
      expect(await store.readings(host.id, at(-1))).toEqual([
        { watts: 150, readAt: at(0).toISOString() },
        { watts: 0, readAt: at(1).toISOString() },
        { watts: 150, readAt: at(2).toISOString() },
      ]);
    });

    it('leaves a host unknown, never off, while its BMC times out, and flags the fault once', async () => {
      const { bmc, store, loop, at, addHost, reload } = await setup();
      const host = await addHost('timeout-1');
      bmc.setFault(host.address, 'timeout');
      await loop.tick(at(0));
      await loop.tick(at(1));
      expect((await reload(host.id)).power).toMatchObject({
        state: 'unknown',
        bmcFault: expect.stringMatching(/did not answer within 50 ms/),
      });
      expect((await reload(host.id)).poweredOn).toBe(true);
      const faults = (await store.decisions({ hostIds: [host.id] })).filter(
        d => d.action === 'fault',
      );
      expect(faults).toHaveLength(1);

      bmc.setFault(host.address, undefined);
      await loop.tick(at(2));
      const healed = await reload(host.id);
      expect(healed.power.state).toBe('on');
      expect(healed.power.bmcFault).toBeUndefined();
    });

    it('flags a host whose BMC says on while its agent stays silent', async () => {
      const { store, loop, at, addHost, reload } = await setup({
        consolidate: false,
      });
      const host = await addHost('silent-1', 'offline');
      await loop.tick(at(10));
      expect((await reload(host.id)).power.agentSilentSince).toBe(
        at(10).toISOString(),
      );
      expect((await store.decisions({ hostIds: [host.id] }))[0]).toMatchObject({
        action: 'silent',
        reason: expect.stringMatching(
          /The BMC says on but the agent has sent no heartbeat/,
        ),
      });
    });

    it('powers an empty host off after the grace period while the reserve holds, never one with instances', async () => {
      const { hosts, bmc, store, loop, at, addHost, reload } = await setup();
      const busy = await addHost('busy');
      const idle1 = await addHost('idle-1');
      const idle2 = await addHost('idle-2');
      await hosts.reserve(busy.id, {
        cpuCores: 1,
        memoryMb: 512,
        storageMb: 0,
      });

      await loop.tick(at(0));
      await loop.tick(at(9));
      expect(bmc.peek(idle1.address)).toBe('on');
      await loop.tick(at(11));
      // 47 free: one idle host off leaves 31 ≥ 20; the second would leave 15.
      expect([bmc.peek(idle1.address), bmc.peek(idle2.address)].sort()).toEqual(
        ['off', 'on'],
      );
      for (let m = 12; m < 120; m += 5) await loop.tick(at(m));
      expect(bmc.peek(busy.address)).toBe('on');
      expect((await reload(busy.id)).power.state).toBe('on');
      const offs = (await store.decisions()).filter(d => d.action === 'off');
      expect(offs).toHaveLength(1);
      expect(offs[0]).toMatchObject({
        actor: 'power-loop',
        watts: 150,
        reason: expect.stringMatching(
          /^Empty for 11 min \(grace 10 min\); 31 cores and .* stay free on powered-on hosts, at least the reserve of 20 cores/,
        ),
      });
      expect(await store.energySavedKwh(offs[0].hostId, at(71))).toBeCloseTo(
        0.15,
        2,
      );
    });

    it('drains a host holding only long-stopped instances onto a busy host, and records why', async () => {
      const moves: DrainMove[] = [];
      const drains: DrainDeps = {
        instances: undefined as any,
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

    it('leaves hosts in maintenance or with a BMC fault alone', async () => {
      const { bmc, loop, at, addHost, db } = await setup();
      await addHost('keep-1');
      await addHost('keep-2');
      const maintenance = await addHost('maint', 'maintenance');
      const faulty = await addHost('faulty');
      await db('hosts')
        .where({ id: faulty.id })
        .update({ bmc_fault: 'flaky BMC' });
      // A faulty BMC that answers is healed by the reconciler: keep it failing.
      bmc.setFault(faulty.address, 'failed');
      await loop.tick(at(0));
      await loop.tick(at(30));
      expect(bmc.peek(maintenance.address)).toBe('on');
      expect(bmc.peek(faulty.address)).toBe('on');
    });

    it('powers one more host on below the lower band, and does not flap under an oscillating load', async () => {
      const { hosts, bmc, store, loop, at, addHost, reload } = await setup();
      const a = await addHost('osc-a');
      const b = await addHost('osc-b');
      const spare = await addHost('osc-spare');
      // The spare starts off, as consolidation would have left it.
      bmc.pressButton(spare.address, 'off');
      await store.setState(spare.id, 'off', at(-60));
      await hosts.reserve(b.id, { cpuCores: 16, memoryMb: 0, storageMb: 0 });

      // Host a's load swings across the lower band (free 7 ↔ 9) every 5 minutes for 6 hours.
      let used = 0;
      for (let m = 0; m < 360; m += 5) {
        const want = m % 10 === 0 ? 9 : 7;
        const delta = {
          cpuCores: Math.abs(want - used),
          memoryMb: 0,
          storageMb: 0,
        };
        if (want > used) await hosts.reserve(a.id, delta);
        else if (want < used) await hosts.release(a.id, delta);
        used = want;
        await loop.tick(at(m));
      }
      const changes = (await store.decisions({ limit: 500 })).filter(
        d => d.action === 'on' || d.action === 'off',
      );
      expect(changes).toEqual([
        expect.objectContaining({
          hostId: spare.id,
          action: 'on',
          reason: expect.stringMatching(/fell below the lower band \(8 cores/),
        }),
      ]);
      expect((await reload(spare.id)).power.state).toBe('on');
    });

    it('keeps readings for a bounded time', async () => {
      const { store, loop, at, addHost } = await setup({ consolidate: false });
      const host = await addHost('retention-1');
      for (let m = 0; m <= 180; m += 30) await loop.tick(at(m));
      // Two hours of retention at minute 180: readings from minute 60 on.
      expect(
        (await store.readings(host.id, at(-10))).map(r => r.readAt),
      ).toEqual([60, 90, 120, 150, 180].map(m => at(m).toISOString()));
    });
  },
);
