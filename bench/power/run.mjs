#!/usr/bin/env node
// bench/power: a seeded day of arrivals and departures (mixed instance sizes)
// through placement, consolidation and drains, with simulated hosts and a fake
// clock. Prints powered host-hours against the lower bound ⌈Σ demand / capacity⌉
// per minute (summed per hour), against a spread policy, power cycles, and the
// moves that emptying hosts of running instances (moveRunning) takes.
// Targets: ≤ 1.05× the bound, ≤ 0.7× spread, no host cycled more than once an hour.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { placeHost, repackedHostHours, simulate } from './simulate.mjs';
import { CAPACITY, HOSTS, makeTrace } from './trace.mjs';

// The product's config reader, and the config package as the backend resolves it.
const backend = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../plugins/appliances-backend',
);
const fromBackend = createRequire(path.join(backend, 'package.json'));
const { readPowerConfig } = fromBackend('./src/power/readPowerConfig.ts');
const { ConfigReader } = fromBackend('@backstage/config');

// The product's defaults (readPowerConfig with nothing set: moveRunning on);
// GRACE_MIN, RESERVE_CORES (0: no reserve nor lower band), HOLD_MIN and MAX_MOVES override.
const env = process.env;
function reserveOverride(cores) {
  if (cores === undefined) return {};
  if (cores !== '0') return { reserveCores: Number(cores) };
  return {
    reserveCores: 0,
    reserveMemoryMb: 0,
    lowerBandCores: 0,
    lowerBandMemoryMb: 0,
  };
}
const product = readPowerConfig(
  new ConfigReader({
    appliances: {
      power: {
        consolidation: {
          moveRunning: true,
          ...(env.GRACE_MIN
            ? { graceSeconds: Number(env.GRACE_MIN) * 60 }
            : {}),
          ...(env.HOLD_MIN
            ? { moveHoldSeconds: Number(env.HOLD_MIN) * 60 }
            : {}),
          ...(env.MAX_MOVES ? { maxMovesInFlight: Number(env.MAX_MOVES) } : {}),
          ...reserveOverride(env.RESERVE_CORES),
        },
      },
    },
  }),
);
const POLICY = product.consolidation;
const LIVE = product.drains;
const STOPPED = { ...LIVE, moveRunning: false };

const place = (view, size) => placeHost(view, { demand: size }).chosen?.hostId;
const tempest = (consolidation, drain) => ({ place, consolidation, drain });
// Spread: the emptiest host that fits, on or off (the usual "balance the load").
const spread = {
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
  drain: STOPPED,
};

const gib = mb => (mb / 1024).toFixed(0);
const describe = p =>
  `grace ${p.graceMs / 60000} min, reserve ${p.reserve.cpuCores} cores + ${p.reserve.memoryMb / 1024} GiB, lower band ${p.lowerBand.cpuCores} cores + ${p.lowerBand.memoryMb / 1024} GiB, minimum on-time ${(p.minOnMs ?? 0) / 60000} min`;
const row = (name, r, bound) =>
  `| ${name.padEnd(60)} | ${r.hostHours.toFixed(1).padStart(10)} | ${(r.hostHours / bound).toFixed(3)}   | ${String(r.cycles).padStart(6)} | ${String(r.worstPerHour).padStart(11)} | ${String(r.moves).padStart(5)} (${String(r.runningMoves).padStart(3)} running) | ${String(r.mostMovesOfOne).padStart(9)} | ${gib(r.movedMemoryMb).padStart(10)} | ${gib(r.movedDiskMb).padStart(8)} |`;
const header = [
  '| policy                                                       | host-hours | × bound | cycles | most/host/h | moves             | most/inst | memory GiB | disk GiB |',
  '| ------------------------------------------------------------ | ---------- | ------- | ------ | ----------- | ----------------- | --------- | ---------- | -------- |',
];

const seed = Number(env.SEED ?? 20261202);
const trace = makeTrace(seed);
const today = simulate(trace, tempest(POLICY, STOPPED));
const live = simulate(trace, tempest(POLICY, LIVE));
const liveDisk = simulate(trace, { ...tempest(POLICY, LIVE), moveDisk: true });
const theirs = simulate(trace, spread);
const bound = today.bound;

console.log(
  `trace: seed ${seed}, ${trace.length} instances over 24 h (sizes 1–8 cores), ${HOSTS} hosts of ${CAPACITY.cpuCores} cores / ${CAPACITY.memoryMb / 1024} GiB`,
);
console.log(
  `policy (the product's defaults): ${describe(POLICY)}; power loop every minute`,
);
console.log(
  `moveRunning: a running instance moves once unchanged for ${LIVE.instanceHoldMs / 60000} min, at most ${LIVE.maxMovesInFlight} moves in flight; a move takes its memory at ${env.MOVE_MIBS ?? 100} MiB/s + 5 s (a stopped one its disk), its host goes off once its moves are done`,
);
console.log('hour  bound  stopped-only  defaults  spread');
for (let h = 0; h < 24; h++)
  console.log(
    `${String(h).padStart(4)}  ${today.perHour[h].bound.toFixed(2).padStart(5)}  ${today.perHour[h].hosts.toFixed(2).padStart(12)}  ${live.perHour[h].hosts.toFixed(2).padStart(8)}  ${theirs.perHour[h].hosts.toFixed(2).padStart(6)}`,
  );
const floor = repackedHostHours(today.demandPerMinute, POLICY);
console.log(`lower bound: ${bound.toFixed(1)} host-hours`);
console.log(header.join('\n'));
console.log(
  [
    row(
      'Tempest, moveRunning: false (stopped instances move only)',
      today,
      bound,
    ),
    row(
      'Tempest, defaults (moveRunning: running ones move live too)',
      live,
      bound,
    ),
    row('  same, disks copied with running guests', liveDisk, bound),
    row('spread (emptiest host, same consolidation)', theirs, bound),
  ].join('\n'),
);
console.log(
  `perfect repacking (every instance movable at will, no move time) with this reserve, lower band and grace: ${floor.toFixed(1)} host-hours = ${(floor / bound).toFixed(3)}× the bound`,
);
const ratio = live.hostHours / bound;
console.log(
  `moveRunning: ${ratio.toFixed(3)}× the bound (target ≤ 1.05) ${ratio <= 1.05 ? 'MET' : 'MISSED'}; ${(live.hostHours / theirs.hostHours).toFixed(3)}× spread (target ≤ 0.7) ${live.hostHours / theirs.hostHours <= 0.7 ? 'MET' : 'MISSED'}; most cycles of one host within an hour ${live.worstPerHour} (target ≤ 1) ${live.worstPerHour <= 1 ? 'MET' : 'MISSED'}; refused for lack of room ${live.refused}`,
);

// A small sweep of reserve and grace, with moveRunning (the product's limits).
console.log(
  '\nsweep with moveRunning (× bound, most cycles per host per hour, moves, memory GiB moved):',
);
const reserves = [
  [
    '4 cores + 16 GiB, band 2 + 8',
    { cpuCores: 4, memoryMb: 16384 },
    { cpuCores: 2, memoryMb: 8192 },
  ],
  [
    '6 cores + 24 GiB, band 2 + 8',
    { cpuCores: 6, memoryMb: 24576 },
    { cpuCores: 2, memoryMb: 8192 },
  ],
  [
    '8 cores + 16 GiB, band 4 + 8',
    { cpuCores: 8, memoryMb: 16384 },
    { cpuCores: 4, memoryMb: 8192 },
  ],
  ['none', { cpuCores: 0, memoryMb: 0 }, { cpuCores: 0, memoryMb: 0 }],
];
const graces = [5, 15, 30];
console.log(
  `reserve                          | ${graces.map(g => `grace ${g} min`.padEnd(26)).join(' | ')}`,
);
for (const [name, reserve, lowerBand] of reserves) {
  const cells = graces.map(g => {
    const r = simulate(
      trace,
      tempest({ ...POLICY, graceMs: g * 60000, reserve, lowerBand }, LIVE),
    );
    return `${(r.hostHours / bound).toFixed(3)}× ${r.worstPerHour} ${String(r.moves).padStart(3)} ${gib(r.movedMemoryMb).padStart(5)} GiB`.padEnd(
      26,
    );
  });
  console.log(`${name.padEnd(32)} | ${cells.join(' | ')}`);
}

// Seeds 1–40 (SEEDS=a-b to change), at the product's defaults.
const [first, last] = (env.SEEDS ?? '1-40').split('-').map(Number);
const across = {
  today: [],
  live: [],
  disk: [],
  worst: 0,
  moves: 0,
  memoryMb: 0,
};
for (let s = first; s <= last; s++) {
  const t = makeTrace(s);
  const a = simulate(t, tempest(POLICY, STOPPED));
  const b = simulate(t, tempest(POLICY, LIVE));
  const c = simulate(t, { ...tempest(POLICY, LIVE), moveDisk: true });
  across.today.push(a.hostHours / a.bound);
  across.live.push(b.hostHours / b.bound);
  across.disk.push(c.hostHours / c.bound);
  across.worst = Math.max(
    across.worst,
    a.worstPerHour,
    b.worstPerHour,
    c.worstPerHour,
  );
  across.moves += b.moves;
  across.memoryMb += b.movedMemoryMb;
}
const n = last - first + 1;
const mean = xs => xs.reduce((x, y) => x + y, 0) / xs.length;
console.log(
  `\nseeds ${first}–${last}: moveRunning false ${mean(across.today).toFixed(3)}× the bound on average (worst ${Math.max(...across.today).toFixed(3)}×); defaults (moveRunning) ${mean(across.live).toFixed(3)}× (worst ${Math.max(...across.live).toFixed(3)}×, met on ${across.live.filter(x => x <= 1.05).length} of ${n}), ${(across.moves / n).toFixed(0)} moves and ${gib(across.memoryMb / n)} GiB of memory a day; disks copied too ${mean(across.disk).toFixed(3)}× (worst ${Math.max(...across.disk).toFixed(3)}×, met on ${across.disk.filter(x => x <= 1.05).length}); most cycles of one host within an hour ${across.worst}`,
);

// Stopped instances keep their hosts' capacity: a share of departures stop instead of
// being deleted and stay stopped for the rest of the day.
const parkedShare = Number(env.PARKED_SHARE ?? 0.25);
const parkedTrace = makeTrace(seed, parkedShare);
const undrained = simulate(parkedTrace, tempest(POLICY, undefined));
const drained = simulate(parkedTrace, tempest(POLICY, STOPPED));
const both = simulate(parkedTrace, tempest(POLICY, LIVE));
console.log(
  `stopped instances (${Math.round(parkedShare * 100)}% of departures stop instead of being deleted, ${undrained.parked} by the end): no drains ${undrained.hostHours.toFixed(1)} host-hours, drains of stopped instances ${drained.hostHours.toFixed(1)} (${drained.moves} moves), with moveRunning ${both.hostHours.toFixed(1)} (${both.moves} moves, ${both.runningMoves} running); against the same bound ${(undrained.hostHours / bound).toFixed(3)}× → ${(drained.hostHours / bound).toFixed(3)}× → ${(both.hostHours / bound).toFixed(3)}×; most cycles of one host within an hour ${Math.max(drained.worstPerHour, both.worstPerHour)}`,
);
