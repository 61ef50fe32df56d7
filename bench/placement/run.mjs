#!/usr/bin/env node
// bench/placement: decision latency at 10,000 hosts (target p99 ≤ 5 ms), and
// hosts in use over a generated arrival/departure trace against the lower
// bound ⌈Σ demand / capacity⌉ (target ≤ 1.05×).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('@backstage/cli/config/nodeTransform.cjs');
const { placeHost } = require('@tempest/backstage-plugin-appliances-common');

// A deterministic generator so runs compare.
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const pricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 2,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 1,
  storagePeriodSeconds: 86400,
};
const capacity = { cpuCores: 32, memoryMb: 131072, storageMb: 2_000_000 };
const sizes = [
  { cpuCores: 1, memoryMb: 1024, storageMb: 10240 },
  { cpuCores: 2, memoryMb: 4096, storageMb: 20480 },
  { cpuCores: 4, memoryMb: 8192, storageMb: 40960 },
  { cpuCores: 8, memoryMb: 32768, storageMb: 81920 },
];

function makeHost(i, random, loaded) {
  const used = loaded
    ? {
        cpuCores: Math.floor(random() * 28),
        memoryMb: Math.floor(random() * 110000),
        storageMb: Math.floor(random() * 1_800_000),
      }
    : { cpuCores: 0, memoryMb: 0, storageMb: 0 };
  return {
    id: `h${i}`,
    name: `host-${i}`,
    state: random() < 0.02 ? 'offline' : 'online',
    poweredOn: loaded ? random() < 0.8 : false,
    coreSpeedMhz: 2400,
    capacity,
    used,
    pricing: { ...pricing, speedPriceMinor: 1 + Math.floor(random() * 4) },
  };
}

function percentile(sorted, p) {
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

// 1. Latency at 10,000 hosts.
{
  const random = rng(42);
  const hosts = Array.from({ length: 10_000 }, (_, i) =>
    makeHost(i, random, true),
  );
  for (let i = 0; i < 200; i++) placeHost(hosts, { demand: sizes[i % 4] }); // warm up
  const times = [];
  for (let i = 0; i < 2000; i++) {
    const demand = sizes[Math.floor(random() * sizes.length)];
    const t0 = process.hrtime.bigint();
    placeHost(hosts, { demand, maxPricePerHourMinor: i % 2 ? 60 : undefined });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(
    `placement latency, 10,000 hosts, 2,000 decisions: p50 ${percentile(times, 50).toFixed(3)} ms, p99 ${percentile(times, 99).toFixed(3)} ms, max ${times.at(-1).toFixed(3)} ms (target p99 ≤ 5 ms)`,
  );
}

// 2. Packing over an arrival/departure trace.
{
  const random = rng(7);
  const hosts = Array.from({ length: 400 }, (_, i) => ({
    ...makeHost(i, random, false),
    state: 'online',
  }));
  const live = [];
  let ratioSum = 0;
  let worst = 0;
  let samples = 0;
  const dims = ['cpuCores', 'memoryMb', 'storageMb'];
  for (let step = 0; step < 20_000; step++) {
    // Arrivals outpace departures until ~1,500 instances live, then balance.
    const depart =
      live.length > 0 && random() < (live.length > 1500 ? 0.5 : 0.2);
    if (depart) {
      const [inst] = live.splice(Math.floor(random() * live.length), 1);
      const h = hosts[inst.host];
      for (const d of dims) h.used[d] -= inst.demand[d];
      if (h.used.cpuCores === 0) h.poweredOn = false; // an empty host is switched off
    } else {
      const demand = sizes[Math.floor(random() * sizes.length)];
      const { chosen } = placeHost(hosts, { demand });
      if (!chosen) continue;
      const index = Number(chosen.hostId.slice(1));
      const h = hosts[index];
      for (const d of dims) h.used[d] += demand[d];
      h.poweredOn = true;
      live.push({ host: index, demand });
    }
    if (step % 10 === 0 && live.length) {
      const inUse = hosts.filter(h => h.used.cpuCores > 0).length;
      const bound = Math.max(
        ...dims.map(d =>
          Math.ceil(live.reduce((s, i) => s + i.demand[d], 0) / capacity[d]),
        ),
      );
      const ratio = inUse / bound;
      ratioSum += ratio;
      worst = Math.max(worst, ratio);
      samples++;
    }
  }
  console.log(
    `packing over a 20,000-event trace (${live.length} instances live at the end): hosts in use / lower bound: mean ${(ratioSum / samples).toFixed(3)}×, worst ${worst.toFixed(3)}× (target ≤ 1.05×)`,
  );
}
