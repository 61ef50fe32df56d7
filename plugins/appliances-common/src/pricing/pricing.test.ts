import {
  HostPricing,
  MAX_MINOR,
  hourlyPriceMinor,
  priceInstance,
  withinHourlyPrice,
} from './pricing';

const pricing: HostPricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 2,
  memoryUnitMb: 512,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 1024,
  storagePriceMinor: 5,
  storagePeriodSeconds: 86400,
};

describe('priceInstance', () => {
  it('charges whole chunks of speed, memory and storage in integer minor units', () => {
    // 2 cores × 2400 MHz = 4800 MHz → 5 chunks; 1536 MB → 3 chunks; 10 GiB + 1 MB → 11 chunks
    const price = priceInstance(pricing, 2400, {
      cpuCores: 2,
      memoryMb: 1536,
      storageMb: 10241,
    });
    expect(price).toEqual({
      runningPriceMinor: 5 * 2 + 3 * 1,
      runningPeriodSeconds: 3600,
      storagePriceMinor: 11 * 5,
      storagePeriodSeconds: 86400,
    });
    expect(Number.isInteger(price!.runningPriceMinor)).toBe(true);
  });

  it('prices exactly up to MAX_MINOR and refuses what passes it, never a float', () => {
    const oneChunk = { cpuCores: 1, memoryMb: 1, storageMb: 1 };
    const exact = priceInstance(
      {
        ...pricing,
        speedPriceMinor: MAX_MINOR - 1,
        memoryPriceMinor: 1,
        storagePriceMinor: 0,
      },
      1000,
      oneChunk,
    );
    expect(exact?.runningPriceMinor).toBe(MAX_MINOR);
    expect(hourlyPriceMinor(exact!)).toBe(MAX_MINOR);
    // One more minor unit, many chunks of a huge price, or an hour of a per-second price past the limit.
    expect(
      priceInstance({ ...pricing, speedPriceMinor: MAX_MINOR }, 1000, oneChunk),
    ).toBeUndefined();
    expect(
      priceInstance({ ...pricing, memoryPriceMinor: MAX_MINOR }, 1000, {
        ...oneChunk,
        memoryMb: 2 ** 40,
      }),
    ).toBeUndefined();
    expect(
      priceInstance(
        { ...pricing, speedPriceMinor: 2 ** 50, runningPeriodSeconds: 1 },
        1000,
        oneChunk,
      ),
    ).toBeUndefined();
    expect(
      priceInstance({ ...pricing, storagePriceMinor: 1e308 }, 1000, oneChunk),
    ).toBeUndefined();
  });

  it('counts chunks exactly for the largest sizes', () => {
    const price = priceInstance(
      { ...pricing, memoryUnitMb: 3, memoryPriceMinor: 1, speedPriceMinor: 0 },
      1000,
      { cpuCores: 1, memoryMb: MAX_MINOR, storageMb: 1 },
    );
    // (2^53 - 1) / 3 = 3002399751580330.33… → 3002399751580331 chunks
    expect(price?.runningPriceMinor).toBe(3002399751580331);
  });
});

describe('hourly price', () => {
  const price = priceInstance(pricing, 1000, {
    cpuCores: 1,
    memoryMb: 512,
    storageMb: 24 * 1024,
  })!;
  // running 3 per hour; storage 24×5 = 120 per day = 5 per hour → 8 per hour exactly
  it('rounds up to a whole minor unit', () => {
    expect(hourlyPriceMinor(price)).toBe(8);
    expect(hourlyPriceMinor({ ...price, storagePriceMinor: 121 })).toBe(9);
  });

  it('compares a limit without rounding', () => {
    expect(withinHourlyPrice(price, 8)).toBe(true);
    expect(withinHourlyPrice(price, 7)).toBe(false);
    // 8 + 1/24 per hour is over a limit of 8
    expect(withinHourlyPrice({ ...price, storagePriceMinor: 121 }, 8)).toBe(
      false,
    );
  });

  it('stays exact for large prices and long periods', () => {
    const big = {
      runningPriceMinor: 2 ** 40,
      runningPeriodSeconds: 1,
      storagePriceMinor: 1,
      storagePeriodSeconds: 365 * 86400,
    };
    expect(withinHourlyPrice(big, 2 ** 40 * 3600)).toBe(false);
    expect(withinHourlyPrice(big, 2 ** 40 * 3600 + 1)).toBe(true);
    expect(hourlyPriceMinor(big)).toBe(2 ** 40 * 3600 + 1);
  });

  it('answers Infinity, never an inexact number, for an hour past MAX_MINOR', () => {
    expect(
      hourlyPriceMinor({
        runningPriceMinor: MAX_MINOR,
        runningPeriodSeconds: 1,
        storagePriceMinor: 0,
        storagePeriodSeconds: 1,
      }),
    ).toBe(Infinity);
  });
});
