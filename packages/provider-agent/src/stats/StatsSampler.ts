import type { AgentApiSchemas } from '../api/apiTypes';
import os from 'node:os';
import { Hypervisor } from '../hypervisor/Hypervisor';

export type StatsSnapshot = AgentApiSchemas['Stats'];
/** Share of the domain's vCPUs kept busy, 0..100. */
export type DomainCpu = StatsSnapshot['domains'][number];

interface Sample {
  at: number;
  hostIdle: number;
  hostTotal: number;
  domains: Map<string, number>;
}

const MIN_WINDOW_MS = 200;

function hostCpuTimes() {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/**
 * CPU percentages from deltas of cumulative CPU time between two samples:
 * the host from the kernel's counters (or, simulated, from its domains), each
 * domain from the hypervisor's CPU time.
 */
export class StatsSampler {
  private last?: Sample;
  private snapshot?: StatsSnapshot;
  private pending?: Promise<StatsSnapshot>;

  constructor(
    private readonly hypervisor: Hypervisor,
    private readonly vcpus: () => Promise<Map<string, number>>,
  ) {}

  current(): Promise<StatsSnapshot> {
    if (
      this.snapshot &&
      this.last &&
      Date.now() - this.last.at < MIN_WINDOW_MS
    ) {
      return Promise.resolve(this.snapshot);
    }
    this.pending ??= this.measure().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async sample(): Promise<Sample> {
    const domains = await this.hypervisor.cpuTimes();
    const { idle, total } = hostCpuTimes();
    return { at: Date.now(), hostIdle: idle, hostTotal: total, domains };
  }

  private async measure(): Promise<StatsSnapshot> {
    let previous = this.last;
    if (!previous) {
      previous = await this.sample();
      await new Promise(r => setTimeout(r, MIN_WINDOW_MS));
    }
    const now = await this.sample();
    const windowMs = Math.max(now.at - previous.at, 1);
    const vcpus = await this.vcpus();
    const domains: DomainCpu[] = [];
    let busyNs = 0;
    for (const [name, time] of now.domains) {
      const before = previous.domains.get(name);
      const delta = before === undefined || time < before ? 0 : time - before;
      busyNs += delta;
      const capacity = windowMs * 1e6 * (vcpus.get(name) ?? 1);
      domains.push({
        name,
        cpuPercent: round(Math.min(100, (delta / capacity) * 100)),
      });
    }
    let hostPercent: number;
    if (this.hypervisor.driver === 'simulated') {
      const { cpus } = await this.hypervisor.nodeInfo();
      hostPercent = (busyNs / (windowMs * 1e6 * cpus)) * 100;
    } else {
      const total = now.hostTotal - previous.hostTotal;
      hostPercent =
        total > 0 ? (1 - (now.hostIdle - previous.hostIdle) / total) * 100 : 0;
    }
    this.last = now;
    this.snapshot = {
      sampledAt: new Date(now.at).toISOString(),
      windowMs,
      host: { cpuPercent: round(Math.min(100, Math.max(0, hostPercent))) },
      domains: domains.sort((a, b) => a.name.localeCompare(b.name)),
    };
    return this.snapshot;
  }
}

function round(n: number) {
  return Math.round(n * 10) / 10;
}
