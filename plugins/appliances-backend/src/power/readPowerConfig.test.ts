import { ConfigReader } from '@backstage/config';
import { readPowerConfig } from './readPowerConfig';

const read = (consolidation: object) =>
  readPowerConfig(
    new ConfigReader({ appliances: { power: { consolidation } } }),
  );

describe('readPowerConfig', () => {
  it('defaults to consolidation with drains that move stopped and running instances, and a minimum on-time of an hour', () => {
    const config = readPowerConfig(new ConfigReader({}));
    expect(config.consolidation).toEqual({
      graceMs: 900_000,
      reserve: { cpuCores: 4, memoryMb: 16384 },
      lowerBand: { cpuCores: 2, memoryMb: 8192 },
      minOnMs: 3_600_000,
    });
    expect(config.drains).toEqual({
      moveRunning: true,
      instanceHoldMs: 900_000,
      maxMovesInFlight: 16,
    });
  });

  it('reads moveRunning and its limits', () => {
    expect(
      read({ moveRunning: true, moveHoldSeconds: 1800, maxMovesInFlight: 4 })
        .drains,
    ).toEqual({
      moveRunning: true,
      instanceHoldMs: 1_800_000,
      maxMovesInFlight: 4,
    });
    expect(read({ moveRunning: false }).drains).toMatchObject({
      moveRunning: false,
    });
    expect(read({ drainStopped: false }).drains).toBeUndefined();
    expect(read({ enabled: false }).drains).toBeUndefined();
  });

  it('refuses settings that cannot work, saying which key and why', () => {
    expect(() => read({ moveRunning: true, drainStopped: false })).toThrow(
      /^Invalid config at appliances.power.consolidation: moveRunning empties hosts of stopped instances too, so it needs drainStopped/,
    );
    expect(() => read({ maxMovesInFlight: 0 })).toThrow(
      'Invalid config at appliances.power.consolidation.maxMovesInFlight: expected a whole number of at least 1, not 0',
    );
    expect(() => read({ moveHoldSeconds: 1.5 })).toThrow(
      /^Invalid config at appliances.power.consolidation.moveHoldSeconds: expected a whole number/,
    );
    expect(() => read({ reserveCores: 1 })).toThrow(
      /the lower band must not exceed the reserve/,
    );
  });
});
