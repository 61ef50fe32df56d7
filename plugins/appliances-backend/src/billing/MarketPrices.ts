import { Knex } from 'knex';
import {
  PlacementHost,
  ResourceDemand,
  minimumSize,
  priceInstance,
} from '@tempest/backstage-plugin-appliances-common';
import { fitsOn, hourlyParts } from './offers';

export type ApplianceHardwareRow = {
  id: string;
  sizeMb: number;
  cpus: number;
  memoryKib: number;
  disks: ReadonlyArray<{ sizeMb?: number }>;
};

export type MarketPrice = {
  applianceId: string;
  size: ResourceDemand;
  runningPerHourMinor: number;
  storagePerHourMinor: number;
  perHourMinor: number;
  /** Hosts the average is over. */
  hosts: number;
  /** No host can place it now: the value is the last one computed. */
  stale: boolean;
  computedAt: string;
};

/**
 * Virtuoso's priceaverage: per appliance (its declared hardware, the least
 * it runs on), the average of what the hosts that could place it now ask.
 */
export class MarketPrices {
  constructor(private readonly db: Knex) {}

  async recompute(
    appliances: ApplianceHardwareRow[],
    hosts: PlacementHost[],
    now: number,
  ): Promise<{ fresh: number; stale: number }> {
    let fresh = 0;
    const staleIds: string[] = [];
    const rows = [];
    for (const a of appliances) {
      const size = minimumSize({
        sizeMb: a.sizeMb,
        hardware: { cpus: a.cpus, memoryKib: a.memoryKib, disks: a.disks },
      });
      const parts = hosts
        .filter(h => fitsOn(h, size))
        .map(h => priceInstance(h.pricing, h.coreSpeedMhz, size))
        .filter(p => p !== undefined)
        .map(p => hourlyParts(p!));
      if (!parts.length) {
        staleIds.push(a.id);
        continue;
      }
      const avg = (pick: (p: ReturnType<typeof hourlyParts>) => number) =>
        Math.round(parts.reduce((s, p) => s + pick(p), 0) / parts.length);
      rows.push({
        appliance_id: a.id,
        cpu_cores: size.cpuCores,
        memory_mb: size.memoryMb,
        storage_mb: size.storageMb,
        running_per_hour_minor: avg(p => p.runningPerHourMinor),
        storage_per_hour_minor: avg(p => p.storagePerHourMinor),
        per_hour_minor: avg(p => p.perHourMinor),
        hosts: parts.length,
        stale: false,
        computed_at_ms: now,
      });
      fresh++;
    }
    for (let i = 0; i < rows.length; i += 200) {
      await this.db('billing_market_prices')
        .insert(rows.slice(i, i + 200))
        .onConflict('appliance_id')
        .merge();
    }
    for (let i = 0; i < staleIds.length; i += 500) {
      await this.db('billing_market_prices')
        .whereIn('appliance_id', staleIds.slice(i, i + 500))
        .update({ stale: true });
    }
    return { fresh, stale: staleIds.length };
  }

  async list(applianceId?: string): Promise<MarketPrice[]> {
    const query = this.db('billing_market_prices').orderBy('appliance_id');
    if (applianceId) query.where({ appliance_id: applianceId });
    return (await query).map(r => ({
      applianceId: r.appliance_id,
      size: {
        cpuCores: Number(r.cpu_cores),
        memoryMb: Number(r.memory_mb),
        storageMb: Number(r.storage_mb),
      },
      runningPerHourMinor: Number(r.running_per_hour_minor),
      storagePerHourMinor: Number(r.storage_per_hour_minor),
      perHourMinor: Number(r.per_hour_minor),
      hosts: Number(r.hosts),
      stale: Boolean(r.stale),
      computedAt: new Date(Number(r.computed_at_ms)).toISOString(),
    }));
  }
}
