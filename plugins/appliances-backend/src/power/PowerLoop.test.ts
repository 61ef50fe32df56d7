import { TestDatabases } from '@backstage/backend-test-utils';
import { DrainDeps } from './PowerConsolidator';
import { powerLoopBed } from './__testUtils__/powerLoopBed';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())(
  'the power loop on %s',
  databaseId => {
    const setup = (
      options: { consolidate?: boolean; drains?: DrainDeps } = {},
    ) => powerLoopBed(databases, databaseId, options);

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
