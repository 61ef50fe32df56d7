// bench/power's seeded day: the fleet, instance sizes and a trace of arrivals and departures.

export function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

export const HOSTS = 24;
export const CAPACITY = {
  cpuCores: 32,
  memoryMb: 131072,
  storageMb: 4_000_000,
};
export const SIZES = [
  { cpuCores: 1, memoryMb: 2048, storageMb: 10240, weight: 4 },
  { cpuCores: 2, memoryMb: 4096, storageMb: 20480, weight: 4 },
  { cpuCores: 4, memoryMb: 16384, storageMb: 40960, weight: 2 },
  { cpuCores: 8, memoryMb: 32768, storageMb: 81920, weight: 1 },
];
export const PRICING = {
  speedUnitMhz: 1000,
  speedPriceMinor: 1,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 1,
  storagePeriodSeconds: 86400,
};
export const DAY_MIN = 24 * 60;
export const T0 = Date.parse('2026-12-01T00:00:00Z');

/** A day's trace: arrivals follow office hours (quiet at night), stays of 20 min to 8 h. */
export function makeTrace(seed, parkedShare = 0) {
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
