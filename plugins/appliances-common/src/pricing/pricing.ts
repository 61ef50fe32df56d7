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

/**
 * The largest amount, in minor units, Tempest prices: exact in a JavaScript
 * number and in a bigint column. Prices that would pass it are refused.
 */
export const MAX_MINOR = Number.MAX_SAFE_INTEGER;

/** Whole chunks: exact for any safe integer amount (the quotient's rounding error stays under 1/unit). */
function chunks(amount: number, unit: number): number {
  return Math.ceil(amount / unit);
}

/** a × b + c × d, or undefined when the exact result is past MAX_MINOR. */
function exactSum(a: number, b: number, c = 0, d = 0): number | undefined {
  // A product or sum of non-negative safe integers is exact when it is itself
  // safe, and a true result past 2^53 - 1 never rounds back under it.
  const sum = a * b + c * d;
  return Number.isSafeInteger(sum) && sum <= MAX_MINOR ? sum : undefined;
}

/**
 * The prices an instance of this demand pays on a host whose cores run at
 * `coreSpeedMhz`. Partial chunks are charged as whole chunks. Undefined when
 * a price, or an hour of running and storage, would pass MAX_MINOR: such a
 * host cannot be charged exactly, so placement passes it by.
 */
export function priceInstance(
  pricing: HostPricing,
  coreSpeedMhz: number,
  demand: ResourceDemand,
): LockedPrice | undefined {
  const speedMhz = demand.cpuCores * coreSpeedMhz;
  const runningPriceMinor = exactSum(
    chunks(speedMhz, pricing.speedUnitMhz),
    pricing.speedPriceMinor,
    chunks(demand.memoryMb, pricing.memoryUnitMb),
    pricing.memoryPriceMinor,
  );
  const storagePriceMinor = exactSum(
    chunks(demand.storageMb, pricing.storageUnitMb),
    pricing.storagePriceMinor,
  );
  if (runningPriceMinor === undefined || storagePriceMinor === undefined)
    return undefined;
  const price = {
    runningPriceMinor,
    runningPeriodSeconds: pricing.runningPeriodSeconds,
    storagePriceMinor,
    storagePeriodSeconds: pricing.storagePeriodSeconds,
  };
  return hourlyPriceMinor(price) <= MAX_MINOR ? price : undefined;
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

/**
 * An hour of running and storage, rounded up to a whole minor unit (for
 * display and sorting). Past MAX_MINOR it answers Infinity, never an inexact
 * number; a price from priceInstance never gets there.
 */
export function hourlyPriceMinor(price: LockedPrice): number {
  const numerator =
    price.runningPriceMinor * 3600 * price.storagePeriodSeconds +
    price.storagePriceMinor * 3600 * price.runningPeriodSeconds;
  const denominator = price.runningPeriodSeconds * price.storagePeriodSeconds;
  if (Number.isSafeInteger(numerator) && Number.isSafeInteger(denominator)) {
    return Math.ceil(numerator / denominator);
  }
  const rp = BigInt(price.runningPeriodSeconds);
  const sp = BigInt(price.storagePeriodSeconds);
  const exact =
    (BigInt(price.runningPriceMinor) * HOUR * sp +
      BigInt(price.storagePriceMinor) * HOUR * rp +
      rp * sp -
      1n) /
    (rp * sp);
  return exact <= BigInt(MAX_MINOR) ? Number(exact) : Infinity;
}
