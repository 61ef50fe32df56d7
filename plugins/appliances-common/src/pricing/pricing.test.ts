import {
  HostPricing,
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
    expect(Number.isInteger(price.runningPriceMinor)).toBe(true);
  });
});

describe('hourly price', () => {
  const price = priceInstance(pricing, 1000, {
    cpuCores: 1,
    memoryMb: 512,
    storageMb: 24 * 1024,
  });
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
  });
});
