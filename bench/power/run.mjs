#!/usr/bin/env node
// bench/power: a seeded day of arrivals and departures (mixed instance sizes)
// through placement and consolidation, with simulated hosts and a fake clock.
// Prints powered host-hours against the lower bound ⌈Σ demand / capacity⌉ per
// minute (summed per hour), against a spread policy, and power cycles.
// Targets: ≤ 1.05× the bound, ≤ 0.7× spread, no host cycled more than once an hour.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
require('@backstage/cli/config/nodeTransform.cjs');
// The product's own code, from the source (as bench/billing takes it).
const plugins = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../plugins',
);
const { placeHost } = require(
  path.join(plugins, 'appliances-common/src/placement/placeHost.ts'),
);
const { planConsolidation } = require(
  path.join(plugins, 'appliances-backend/src/power/PowerConsolidator.ts'),
);
const { planDrains } = require(
  path.join(plugins, 'appliances-backend/src/power/planDrains.ts'),
);

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const HOSTS = 24;
const CAPACITY = { cpuCores: 32, memoryMb: 131072, storageMb: 4_000_000 };
const SIZES = [
  { cpuCores: 1, memoryMb: 2048, storageMb: 10240, weight: 4 },
  { cpuCores: 2, memoryMb: 4096, storageMb: 20480, weight: 4 },
  { cpuCores: 4, memoryMb: 16384, storageMb: 40960, weight: 2 },
  { cpuCores: 8, memoryMb: 32768, storageMb: 81920, weight: 1 },
];
// Grace 15 min; keep 6 cores and 24 GB free; power one on below 2 cores or 8 GB.
const POLICY = {
  graceMs: Number(process.env.GRACE_MIN ?? 15) * 60_000,
  reserve: {
    cpuCores: Number(process.env.RESERVE_CORES ?? 6),
    memoryMb: 24576,
  },
  lowerBand: { cpuCores: 2, memoryMb: 8192 },
};
if (process.env.RESERVE_CORES === '0') {
  POLICY.reserve.memoryMb = 0;
  POLICY.lowerBand = { cpuCores: 0, memoryMb: 0 };
}
const PRICING = {
  speedUnitMhz: 1000,
  speedPriceMinor: 1,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 1,
  storagePeriodSeconds: 86400,
};
const DAY_MIN = 24 * 60;
const T0 = Date.parse('2026-12-01T00:00:00Z');

/** A day's trace: arrivals follow office hours (quiet at night), stays of 20 min to 8 h. */
function makeTrace(seed, parkedShare = 0) {
  const random = rng(seed);
  // A second stream, so that the share of stops leaves the trace itself unchanged.
  const parking = rng(seed ^ 0x5bd1e995);
  const totalWeight = SIZES.reduce((s, x) => s + x.weight, 0);
  const trace = [];
  let id = 0;
  for (let minute = 0; minute < DAY_MIN; minute++) {
    const hour = minute / 60;
    const rate =
      0.15 + 1.1 * Math.max(0, Math.sin(((hour - 6) / 14) * Math.PI));
    let arrivals = 0;
    for (let p = random(); p < rate; p += 1)
      arrivals += random() < rate - Math.floor(rate) || p + 1 <= rate ? 1 : 0;
    for (let a = 0; a < arrivals; a++) {
      let pick = random() * totalWeight;
      const size = SIZES.find(s => (pick -= s.weight) < 0) ?? SIZES[0];
      const stay = Math.round(20 + -Math.log(1 - random()) * 150);
      trace.push({
        id: id++,
        at: minute,
        until: Math.min(DAY_MIN + 600, minute + stay),
        size,
        // Stopped rather than deleted when it leaves: its disk stays on its host.
        parks: parking() < parkedShare,
      });
    }
  }
  return trace;
}

function simulate(trace, policy) {
  const hosts = Array.from({ length: HOSTS }, (_, i) => ({
    id: `h${i}`,
    name: `host-${String(i).padStart(2, '0')}`,
    on: i < 2,
    used: { cpuCores: 0, memoryMb: 0, storageMb: 0 },
    emptySince: undefined,
    changedAt: T0 - 3_600_000,
    events: [], // power changes: [minute, 'on' | 'off']
  }));
  const placed = new Map();
  const parked = new Map(); // instance id → { inst, since }
  let moves = 0;
  const departures = [...trace].sort((a, b) => a.until - b.until);
  let d = 0;
  let a = 0;
  let hostMinutes = 0;
  let refused = 0;
  const perHour = Array.from({ length: 24 }, () => ({ hosts: 0, bound: 0 }));
  const demandPerMinute = [];
  const demand = { cpuCores: 0, memoryMb: 0 };
  const powerOn = (h, minute) => {
    h.on = true;
    h.changedAt = T0 + minute * 60_000;
    h.events.push([minute, 'on']);
  };

  for (let minute = 0; minute < DAY_MIN; minute++) {
    const now = T0 + minute * 60_000;
    while (d < departures.length && departures[d].until <= minute) {
      const inst = departures[d++];
      const h = placed.get(inst.id);
      if (!h) continue;
      demand.cpuCores -= inst.size.cpuCores;
      demand.memoryMb -= inst.size.memoryMb;
      if (inst.parks) {
        // Stopped: it needs no powered host, but its host keeps its capacity.
        parked.set(inst.id, { inst, since: now });
        continue;
      }
      h.used.cpuCores -= inst.size.cpuCores;
      h.used.memoryMb -= inst.size.memoryMb;
      h.used.storageMb -= inst.size.storageMb;
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
      const h = hosts.find(x => x.id === chosen);
      if (!h.on) powerOn(h, minute); // the power-on step
      h.used.cpuCores += inst.size.cpuCores;
      h.used.memoryMb += inst.size.memoryMb;
      h.used.storageMb += inst.size.storageMb;
      demand.cpuCores += inst.size.cpuCores;
      demand.memoryMb += inst.size.memoryMb;
      placed.set(inst.id, h);
    }
    // The power loop, once a minute, exactly as PowerConsolidator runs it.
    for (const h of hosts) {
      const empty =
        h.on &&
        h.used.cpuCores === 0 &&
        h.used.memoryMb === 0 &&
        h.used.storageMb === 0;
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
    const decisions = planConsolidation(
      hostViews(),
      policy.consolidation,
      new Date(now),
    );
    for (const decision of decisions) {
      const h = hosts.find(x => x.id === decision.hostId);
      if (decision.action === 'on') powerOn(h, minute);
      else {
        h.on = false;
        h.emptySince = undefined;
        h.changedAt = now;
        h.events.push([minute, 'off']);
      }
    }
    // Drains, as PowerConsolidator runs them: a move is taken as done within the minute.
    if (policy.drain && !decisions.some(x => x.action === 'on')) {
      const busy = new Set();
      for (const [id, h] of placed) if (!parked.has(id)) busy.add(h.id);
      const plans = planDrains(
        hostViews(),
        [...parked.values()].map(({ inst, since }) => ({
          id: String(inst.id),
          hostname: `i-${inst.id}`,
          hostId: placed.get(inst.id).id,
          size: inst.size,
          version: 1,
          updatedAt: new Date(since).toISOString(),
        })),
        busy,
        policy.consolidation,
        new Date(now),
      );
      for (const plan of plans)
        for (const move of plan.moves) {
          const inst = parked.get(Number(move.instanceId)).inst;
          const from = placed.get(inst.id);
          const to = hosts.find(x => x.id === move.toHostId);
          for (const k of ['cpuCores', 'memoryMb', 'storageMb']) {
            from.used[k] -= inst.size[k];
            to.used[k] += inst.size[k];
          }
          placed.set(inst.id, to);
          moves++;
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
    demandPerMinute,
    perHour,
    cycles,
    worstPerHour,
    changes,
    refused,
    moves,
    parked: parked.size,
  };
}

/**
 * Host-hours if every running instance could be moved at will (live migration,
 * perfect repacking), with the power loop's reserve, lower band and grace: the
 * host count goes up by one when free capacity falls below the lower band (or
 * demand does not fit), and down by one when one host fewer would still leave
 * the reserve free, once that has held for the grace period. Starts, as the
 * simulation does, with two hosts on. Splits the gap to the bound into what
 * the reserve and grace cost and what stranded instances (fragmentation) cost.
 */
function repackedHostHours(demandPerMinute, policy) {
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

const packing = {
  name: 'Tempest (best fit + consolidation)',
  place: (view, size) => placeHost(view, { demand: size }).chosen?.hostId,
  consolidation: POLICY,
};
// Spread: the emptiest host that fits, on or off (the usual "balance the load").
const spread = {
  name: 'spread (emptiest host + the same consolidation)',
  place: (view, size) => {
    const fits = view.filter(
      h =>
        h.capacity.cpuCores - h.used.cpuCores >= size.cpuCores &&
        h.capacity.memoryMb - h.used.memoryMb >= size.memoryMb,
    );
    fits.sort(
      (x, y) =>
        x.used.cpuCores - y.used.cpuCores || x.name.localeCompare(y.name),
    );
    return fits[0]?.id;
  },
  consolidation: POLICY,
};

const seed = Number(process.env.SEED ?? 20261202);
const trace = makeTrace(seed);
const ours = simulate(trace, packing);
const theirs = simulate(trace, spread);
const bound = ours.perHour.reduce((s, h) => s + h.bound, 0);

console.log(
  `trace: seed ${seed}, ${trace.length} instances over 24 h (sizes 1–8 cores), ${HOSTS} hosts of ${CAPACITY.cpuCores} cores / ${CAPACITY.memoryMb / 1024} GiB`,
);
console.log(
  `policy: grace ${POLICY.graceMs / 60000} min, reserve ${POLICY.reserve.cpuCores} cores + ${POLICY.reserve.memoryMb / 1024} GiB, lower band ${POLICY.lowerBand.cpuCores} cores + ${POLICY.lowerBand.memoryMb / 1024} GiB; power loop every minute`,
);
console.log('hour  bound  tempest  spread');
for (let h = 0; h < 24; h++)
  console.log(
    `${String(h).padStart(4)}  ${ours.perHour[h].bound.toFixed(2).padStart(5)}  ${ours.perHour[h].hosts.toFixed(2).padStart(7)}  ${theirs.perHour[h].hosts.toFixed(2).padStart(6)}`,
  );
const ratioBound = ours.hostHours / bound;
const ratioSpread = ours.hostHours / theirs.hostHours;
console.log(`lower bound: ${bound.toFixed(1)} host-hours`);
console.log(
  `tempest: ${ours.hostHours.toFixed(1)} powered host-hours = ${ratioBound.toFixed(3)}× the bound (target ≤ 1.05) ${ratioBound <= 1.05 ? 'MET' : 'MISSED'}`,
);
console.log(
  `spread: ${theirs.hostHours.toFixed(1)} powered host-hours; tempest/spread = ${ratioSpread.toFixed(3)} (target ≤ 0.7) ${ratioSpread <= 0.7 ? 'MET' : 'MISSED'}`,
);
console.log(
  `power cycles (off then on): tempest ${ours.cycles} (power changes ${ours.changes}), spread ${theirs.cycles}; most cycles of one host within an hour: ${ours.worstPerHour} (target ≤ 1) ${ours.worstPerHour <= 1 ? 'MET' : 'MISSED'}`,
);
const noReserve = {
  ...POLICY,
  reserve: { cpuCores: 0, memoryMb: 0 },
  lowerBand: { cpuCores: 0, memoryMb: 0 },
};
const repacked = {
  reserve: repackedHostHours(ours.demandPerMinute, { ...POLICY, graceMs: 0 }),
  grace: repackedHostHours(ours.demandPerMinute, noReserve),
  both: repackedHostHours(ours.demandPerMinute, POLICY),
};
console.log(
  `with every instance movable (perfect repacking, as live migration would allow): reserve alone ${repacked.reserve.toFixed(1)}, grace alone ${repacked.grace.toFixed(1)}, reserve and grace ${repacked.both.toFixed(1)} host-hours = ${(repacked.both / bound).toFixed(3)}× the bound`,
);
console.log(
  `gap to the bound: ${(ours.hostHours - bound).toFixed(1)} host-hours = reserve and grace ${(repacked.both - bound).toFixed(1)} + instances stranded on hosts they keep on (fragmentation, only migration removes it) ${(ours.hostHours - repacked.both).toFixed(1)}`,
);
console.log(
  `refused for lack of room: tempest ${ours.refused}, spread ${theirs.refused}`,
);
// Stopped instances keep their hosts' capacity: a share of departures stop instead of
// being deleted and stay stopped for the rest of the day, with and without drains.
const parkedShare = Number(process.env.PARKED_SHARE ?? 0.25);
const parkedTrace = makeTrace(seed, parkedShare);
const undrained = simulate(parkedTrace, packing);
const drained = simulate(parkedTrace, { ...packing, drain: true });
console.log(
  `stopped instances (${Math.round(parkedShare * 100)}% of departures stop instead of being deleted, ${undrained.parked} by the end): without drains ${undrained.hostHours.toFixed(1)} host-hours, with drains ${drained.hostHours.toFixed(1)} (${drained.moves} moves) = ${(drained.hostHours / undrained.hostHours).toFixed(3)}×; against the same bound ${(undrained.hostHours / bound).toFixed(3)}× → ${(drained.hostHours / bound).toFixed(3)}×; most cycles of one host within an hour ${drained.worstPerHour}`,
);
if (ratioBound > 1.05)
  console.log(
    `why the bound is missed: consolidation powers off only empty hosts and running instances are not moved, so when load falls the instances left are spread over the hosts that carried the peak; the bound assumes perfect repacking at every minute and no reserve or grace (zero hosts at zero demand, where the reserve keeps one on)${repacked.both / bound > 1.05 ? ', and even with perfect repacking this reserve and grace stay above 1.05×' : ''}.`,
  );
