import { Config, ConfigReader } from '@backstage/config';
import { ConsolidationPolicy } from './PowerConsolidator';
import { DrainLimits } from './planDrains';

export type PowerConfig = {
  driver: 'ipmitool' | 'simulated';
  ipmitool: { timeoutMs: number; wattsSensor?: string };
  intervalSeconds: number;
  softOffTimeoutMs: number;
  /** How long provisioning waits for a powered-on host's agent to heartbeat. */
  powerOnTimeoutMs: number;
  readingsRetentionHours: number;
  decisionsRetentionDays: number;
  consolidation?: ConsolidationPolicy;
  /** Consolidation moves instances off hosts so that those can go off (planDrains); none without. */
  drains?: DrainLimits;
};

/** A whole number at `appliances.power.<prefix><key>`, at least `min`. */
function whole(
  config: Config,
  prefix: string,
  key: string,
  fallback: number,
  min = 0,
): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < min)
    throw new Error(
      `Invalid config at appliances.power.${prefix}${key}: expected a whole number of at least ${min}, not ${value}`,
    );
  return value;
}

/** Reads `appliances.power` (see config.d.ts). */
export function readPowerConfig(root: Config): PowerConfig {
  const config =
    root.getOptionalConfig('appliances.power') ?? new ConfigReader({});
  const driver = config.getOptionalString('driver') ?? 'ipmitool';
  if (driver !== 'ipmitool' && driver !== 'simulated')
    throw new Error(
      `Invalid config at appliances.power.driver: expected ipmitool or simulated, not '${driver}'`,
    );
  const c = config.getOptionalConfig('consolidation');
  let consolidation: ConsolidationPolicy | undefined;
  let drains: DrainLimits | undefined;
  if (c?.getOptionalBoolean('enabled') ?? true) {
    const cc = c ?? new ConfigReader({});
    const num = (key: string, fallback: number, min = 0) =>
      whole(cc, 'consolidation.', key, fallback, min);
    consolidation = {
      graceMs: num('graceSeconds', 900) * 1000,
      reserve: {
        cpuCores: num('reserveCores', 4),
        memoryMb: num('reserveMemoryMb', 16384),
      },
      lowerBand: {
        cpuCores: num('lowerBandCores', 2),
        memoryMb: num('lowerBandMemoryMb', 8192),
      },
      minOnMs: num('minOnSeconds', 3600) * 1000,
    };
    if (
      consolidation.lowerBand.cpuCores > consolidation.reserve.cpuCores ||
      consolidation.lowerBand.memoryMb > consolidation.reserve.memoryMb
    )
      throw new Error(
        'Invalid config at appliances.power.consolidation: the lower band must not exceed the reserve, or hosts would flap',
      );
    const drainStopped = cc.getOptionalBoolean('drainStopped') ?? true;
    // Running instances move live too unless drains are off altogether.
    const moveRunning = cc.getOptionalBoolean('moveRunning') ?? drainStopped;
    if (moveRunning && !drainStopped)
      throw new Error(
        'Invalid config at appliances.power.consolidation: moveRunning empties hosts of stopped instances too, so it needs drainStopped (remove drainStopped: false, or moveRunning)',
      );
    if (drainStopped)
      drains = {
        moveRunning,
        instanceHoldMs: num('moveHoldSeconds', 900) * 1000,
        maxMovesInFlight: num('maxMovesInFlight', 16, 1),
      };
  }
  const num = (key: string, fallback: number, min: number) =>
    whole(config, '', key, fallback, min);
  return {
    driver,
    ipmitool: {
      timeoutMs: num('ipmitool.timeoutSeconds', 15, 1) * 1000,
      wattsSensor: config.getOptionalString('ipmitool.wattsSensor'),
    },
    intervalSeconds: num('intervalSeconds', 60, 1),
    softOffTimeoutMs: num('softOffTimeoutSeconds', 120, 0) * 1000,
    powerOnTimeoutMs: num('powerOnTimeoutSeconds', 300, 1) * 1000,
    readingsRetentionHours: num('readingsRetentionHours', 48, 1),
    decisionsRetentionDays: num('decisionsRetentionDays', 30, 1),
    consolidation,
    drains,
  };
}
