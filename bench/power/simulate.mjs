// bench/power's simulation: a day through the product's placement, consolidation and
// drains, once a minute with a fake clock; moves take time (see moveSeconds).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CAPACITY, DAY_MIN, HOSTS, PRICING, T0 } from './trace.mjs';

const require = createRequire(import.meta.url);
require('@backstage/cli/config/nodeTransform.cjs');
// The product's own code, from the source (as bench/billing takes it).
const plugins = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../plugins',
);
export const { placeHost } = require(
  path.join(plugins, 'appliances-common/src/placement/placeHost.ts'),
);
const { planConsolidation } = require(
  path.join(plugins, 'appliances-backend/src/power/PowerConsolidator.ts'),
);
const { planDrains } = require(
  path.join(plugins, 'appliances-backend/src/power/planDrains.ts'),
);

/** A drained host goes off without the grace while its drain is this recent (as PowerConsolidator). */
const DRAINED_WINDOW_MS = 3_600_000;
const KEYS = ['cpuCores', 'memoryMb', 'storageMb'];

/**
 * How long a move takes: what it copies at `MOVE_MIBS` (100 MiB/s) plus 5 s
 * of switch-over. A running guest copies its memory (and, with `withDisk`,
 * its disk too, as local disks move with it); a stopped one its disk.
 */
export function moveSeconds(size, running, withDisk = false) {
  const rate = Number(process.env.MOVE_MIBS ?? 100);
  const disk = !running || withDisk ? size.storageMb : 0;
  return (running ? size.memoryMb : 0) / rate + disk / rate + 5;
}

export function simulate(trace, policy) {
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({
    id: `h${i}`,
    name: `host-${String(i).padStart(2, '0')}`,
    on: i < 2,
    used: { cpuCores: 0, memoryMb: 0, storageMb: 0 },
    emptySince: undefined,
    changedAt: T0 - 3_600_000,
    drainedAt: undefined,
    events: [], // power changes: [minute, 'on' | 'off']
  }));
  const byId = new Map(hosts.map(h => [h.id, h]));
  const placed = new Map(); // instance id → host
  const changed = new Map(); // instance id → when it last started, stopped or moved
  const parked = new Set(); // stopped instance ids
  const moving = new Map(); // instance id → { inst, to, doneAt }
  const stats = {
    moves: 0,
    runningMoves: 0,
    movedMemoryMb: 0,
    movedDiskMb: 0,
    mostMovesOfOne: 0,
  };
  const movesOf = new Map(); // instance id → moves
  const departures = [...trace].sort((a, b) => a.until - b.until);
  let d = 0;
  let a = 0;
  let hostMinutes = 0;
  let refused = 0;
  const perHour = Array.from({ length: 24 }, () => ({ hosts: 0, bound: 0 }));
  const demandPerMinute = [];
  const demand = { cpuCores: 0, memoryMb: 0 };
  const add = (h, size, sign) => {
    for (const k of KEYS) h.used[k] += sign * size[k];
  };
  const powerOn = (h, minute) => {
    h.on = true;
    h.changedAt = T0 + minute * 60_000;
    h.events.push([minute, 'on']);
  };
  const finishMove = (id, now) => {
    const { inst, to } = moving.get(id);
    moving.delete(id);
    add(placed.get(id), inst.size, -1); // the source releases at the commit
    placed.set(id, to);
    changed.set(id, now);
  };

  for (let minute = 0; minute < DAY_MIN; minute++) {
    const now = T0 + minute * 60_000;
    for (const [id, m] of moving) if (m.doneAt <= now) finishMove(id, now);
    while (d < departures.length && departures[d].until <= minute) {
      const inst = departures[d++];
      if (!placed.has(inst.id)) continue;
      if (moving.has(inst.id)) finishMove(inst.id, now);
      const h = placed.get(inst.id);
      demand.cpuCores -= inst.size.cpuCores;
      demand.memoryMb -= inst.size.memoryMb;
      changed.set(inst.id, now);
      if (inst.parks) {
        // Stopped: it needs no powered host, but its host keeps its capacity.
        parked.add(inst.id);
        continue;
      }
      add(h, inst.size, -1);
      placed.delete(inst.id);
    }
    while (a < trace.length && trace[a].at === minute) {
      const inst = trace[a++];
      const view = hosts.map(h => ({
        id: h.id,
        name: h.name,
        state: h.on ? 'online' : 'offline',
        poweredOn: h.on,
        canPowerOn: true,
        coreSpeedMhz: 2400,
        capacity: CAPACITY,
        used: h.used,
        pricing: PRICING,
      }));
      const chosen = policy.place(view, inst.size);
      if (!chosen) {
        refused++;
        continue;
      }
      const h = byId.get(chosen);
      if (!h.on) powerOn(h, minute); // the power-on step
      add(h, inst.size, 1);
      demand.cpuCores += inst.size.cpuCores;
      demand.memoryMb += inst.size.memoryMb;
      placed.set(inst.id, h);
      changed.set(inst.id, now);
    }
    // The power loop, once a minute, as PowerConsolidator runs it.
    for (const h of hosts) {
      const empty = h.on && KEYS.every(k => h.used[k] === 0);
      if (empty && h.emptySince === undefined) h.emptySince = now;
      if (!empty) h.emptySince = undefined;
    }
    const hostViews = () =>
      hosts.map(h => ({
        id: h.id,
        name: h.name,
        owner: 'provider',
        state: h.on ? 'online' : 'offline',
        bmc: { address: `${h.name}.bmc`, hasCredentials: true },
        cpuCores: CAPACITY.cpuCores,
        memoryMb: CAPACITY.memoryMb,
        storageMb: CAPACITY.storageMb,
        used: h.used,
        power: {
          state: h.on ? 'on' : 'off',
          changedAt: new Date(h.changedAt).toISOString(),
          ...(h.emptySince !== undefined
            ? { emptySince: new Date(h.emptySince).toISOString() }
            : {}),
        },
      }));
    const drained = new Set(
      hosts
        .filter(
          h =>
            h.drainedAt !== undefined &&
            h.drainedAt >= h.changedAt &&
            now - h.drainedAt < DRAINED_WINDOW_MS,
        )
        .map(h => h.id),
    );
    const decisions = planConsolidation(
      hostViews(),
      policy.consolidation,
      new Date(now),
      drained,
    );
    for (const decision of decisions) {
      const h = byId.get(decision.hostId);
      if (decision.action === 'on') powerOn(h, minute);
      else {
        h.on = false;
        h.emptySince = undefined;
        h.changedAt = now;
        h.events.push([minute, 'off']);
      }
    }
    // Drains, as PowerConsolidator runs them: each move reserves its
    // destination at once and frees its source when it is done.
    if (policy.drain && !decisions.some(x => x.action === 'on')) {
      const stateOf = id => {
        if (moving.has(id)) return 'moving';
        return parked.has(id) ? 'stopped' : 'running';
      };
      const hosted = [...placed].map(([id, h]) => {
        const inst = trace[id];
        return {
          id: String(id),
          hostname: `i-${id}`,
          hostId: h.id,
          size: inst.size,
          version: 1,
          state: stateOf(id),
          updatedAt: new Date(changed.get(id)).toISOString(),
        };
      });
      const plans = planDrains(
        hostViews(),
        hosted,
        policy.consolidation,
        policy.drain,
        new Date(now),
      );
      for (const plan of plans) {
        byId.get(plan.hostId).drainedAt = now;
        for (const move of plan.moves) {
          const inst = trace[Number(move.instanceId)];
          const to = byId.get(move.toHostId);
          add(to, inst.size, 1);
          moving.set(inst.id, {
            inst,
            to,
            doneAt:
              now +
              moveSeconds(inst.size, move.running, policy.moveDisk) * 1000,
          });
          stats.moves++;
          movesOf.set(inst.id, (movesOf.get(inst.id) ?? 0) + 1);
          stats.mostMovesOfOne = Math.max(
            stats.mostMovesOfOne,
            movesOf.get(inst.id),
          );
          if (move.running) {
            stats.runningMoves++;
            stats.movedMemoryMb += inst.size.memoryMb;
            if (policy.moveDisk) stats.movedDiskMb += inst.size.storageMb;
          } else stats.movedDiskMb += inst.size.storageMb;
        }
      }
    }
    const on = hosts.filter(h => h.on).length;
    hostMinutes += on;
    const bound = Math.ceil(
      Math.max(
        demand.cpuCores / CAPACITY.cpuCores,
        demand.memoryMb / CAPACITY.memoryMb,
      ) - 1e-9,
    );
    demandPerMinute.push({ ...demand });
    perHour[Math.floor(minute / 60)].hosts += on / 60;
    perHour[Math.floor(minute / 60)].bound += bound / 60;
  }
  // A cycle is an off followed by an on of the same host; count them, and the most in any hour.
  let cycles = 0;
  let worstPerHour = 0;
  for (const h of hosts) {
    const ons = [];
    for (let i = 1; i < h.events.length; i++)
      if (h.events[i][1] === 'on' && h.events[i - 1][1] === 'off')
        ons.push(h.events[i][0]);
    cycles += ons.length;
    for (let i = 0; i < ons.length; i++) {
      let n = 0;
      for (let j = i; j < ons.length && ons[j] - ons[i] < 60; j++) n++;
      worstPerHour = Math.max(worstPerHour, n);
    }
  }
  const changes = hosts.reduce((s, h) => s + h.events.length, 0);
  return {
    hostHours: hostMinutes / 60,
    bound: perHour.reduce((s, h) => s + h.bound, 0),
    demandPerMinute,
    perHour,
    cycles,
    worstPerHour,
    changes,
    refused,
    ...stats,
    parked: parked.size,
  };
}

/**
 * Host-hours if every running instance could be moved at will (live migration,
 * perfect repacking), with the power loop's reserve, lower band and grace: the
 * host count goes up by one when free capacity falls below the lower band (or
 * demand does not fit), and down by one when one host fewer would still leave
 * the reserve free, once that has held for the grace period. Starts, as the
 * simulation does, with two hosts on.
 */
export function repackedHostHours(demandPerMinute, policy) {
  let n = 2;
  let heldFor = 0;
  let minutes = 0;
  const free = k => ({
    cpuCores: k * CAPACITY.cpuCores,
    memoryMb: k * CAPACITY.memoryMb,
  });
  for (const demand of demandPerMinute) {
    const left = k => ({
      cpuCores: free(k).cpuCores - demand.cpuCores,
      memoryMb: free(k).memoryMb - demand.memoryMb,
    });
    const below = (k, band) =>
      left(k).cpuCores < band.cpuCores || left(k).memoryMb < band.memoryMb;
    while (below(n, { cpuCores: 0, memoryMb: 0 })) n++;
    if (below(n, policy.lowerBand)) {
      n++;
      heldFor = 0;
    } else if (n > 0 && !below(n - 1, policy.reserve)) {
      // One host fewer would do: it goes after a grace period of that.
      heldFor++;
      if (heldFor > policy.graceMs / 60_000) {
        n--;
        heldFor = 0;
      }
    } else heldFor = 0;
    minutes += n;
  }
  return minutes / 60;
}
