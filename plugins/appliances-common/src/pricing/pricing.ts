/**
 * Host pricing after Virtuoso's pmseller table: resources are sold in chunks
 * (units) at an integer price in minor currency units per chunk and period.
 */
export type HostPricing = {
  /** Size of one chunk of CPU speed, in MHz. */
  speedUnitMhz: number;
  /** Minor units per speed chunk per running period. */
  speedPriceMinor: number;
  /** Size of one chunk of memory, in MB. */
  memoryUnitMb: number;
  /** Minor units per memory chunk per running period. */
  memoryPriceMinor: number;
  /** Running time is charged every this many seconds, only while started. */
  runningPeriodSeconds: number;
  /** Size of one chunk of storage, in MB. */
  storageUnitMb: number;
  /** Minor units per storage chunk per storage period. */
  storagePriceMinor: number;
  /** Storage is charged every this many seconds, whatever the state. */
  storagePeriodSeconds: number;
};

/** What an instance occupies on its host. */
export type ResourceDemand = {
  cpuCores: number;
  memoryMb: number;
  storageMb: number;
};

/** Prices locked into an instance when it is placed. */
export type LockedPrice = {
  runningPriceMinor: number;
  runningPeriodSeconds: number;
  storagePriceMinor: number;
  storagePeriodSeconds: number;
};

function chunks(amount: number, unit: number): number {
  return Math.ceil(amount / unit);
}

/**
 * The prices an instance of this demand pays on a host whose cores run at
 * `coreSpeedMhz`. Partial chunks are charged as whole chunks.
 */
export function priceInstance(
  pricing: HostPricing,
  coreSpeedMhz: number,
  demand: ResourceDemand,
): LockedPrice {
  const speedMhz = demand.cpuCores * coreSpeedMhz;
  return {
    runningPriceMinor:
      chunks(speedMhz, pricing.speedUnitMhz) * pricing.speedPriceMinor +
      chunks(demand.memoryMb, pricing.memoryUnitMb) * pricing.memoryPriceMinor,
    runningPeriodSeconds: pricing.runningPeriodSeconds,
    storagePriceMinor:
      chunks(demand.storageMb, pricing.storageUnitMb) *
      pricing.storagePriceMinor,
    storagePeriodSeconds: pricing.storagePeriodSeconds,
  };
}

const HOUR = 3600n;

/**
 * Whether running and storing for an hour costs at most `maxPerHourMinor`.
 * Compared with integer cross-multiplication so no rounding decides it.
 */
export function withinHourlyPrice(
  price: LockedPrice,
  maxPerHourMinor: number,
): boolean {
  const fast =
    price.runningPriceMinor * 3600 * price.storagePeriodSeconds +
    price.storagePriceMinor * 3600 * price.runningPeriodSeconds;
  const limit =
    maxPerHourMinor * price.runningPeriodSeconds * price.storagePeriodSeconds;
  if (Number.isSafeInteger(fast) && Number.isSafeInteger(limit)) {
    return fast <= limit;
  }
  const rp = BigInt(price.runningPeriodSeconds);
  const sp = BigInt(price.storagePeriodSeconds);
  const cost =
    BigInt(price.runningPriceMinor) * HOUR * sp +
    BigInt(price.storagePriceMinor) * HOUR * rp;
  return cost <= BigInt(maxPerHourMinor) * rp * sp;
}

/** An hour of running and storage, rounded up to a whole minor unit (for display and sorting). */
export function hourlyPriceMinor(price: LockedPrice): number {
  const rp = BigInt(price.runningPeriodSeconds);
  const sp = BigInt(price.storagePeriodSeconds);
  const numerator =
    BigInt(price.runningPriceMinor) * HOUR * sp +
    BigInt(price.storagePriceMinor) * HOUR * rp;
  const denominator = rp * sp;
  return Number((numerator + denominator - 1n) / denominator);
}
