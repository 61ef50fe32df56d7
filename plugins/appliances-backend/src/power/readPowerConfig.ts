import { Config, ConfigReader } from '@backstage/config';
import { ConsolidationPolicy } from './PowerConsolidator';

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
  /** Consolidation moves stopped instances off hosts so that those can go off. */
  drainStopped: boolean;
};

function whole(config: Config, key: string, fallback: number, min = 0): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < min)
    throw new Error(
      `Invalid config at appliances.power.${key}: expected a whole number of at least ${min}`,
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
  if (c?.getOptionalBoolean('enabled') ?? true) {
    const cc = c ?? new ConfigReader({});
    consolidation = {
      graceMs: whole(cc, 'graceSeconds', 1800) * 1000,
      reserve: {
        cpuCores: whole(cc, 'reserveCores', 8),
        memoryMb: whole(cc, 'reserveMemoryMb', 16384),
      },
      lowerBand: {
        cpuCores: whole(cc, 'lowerBandCores', 4),
        memoryMb: whole(cc, 'lowerBandMemoryMb', 8192),
      },
    };
    if (
      consolidation.lowerBand.cpuCores > consolidation.reserve.cpuCores ||
      consolidation.lowerBand.memoryMb > consolidation.reserve.memoryMb
    )
      throw new Error(
        'Invalid config at appliances.power.consolidation: the lower band must not exceed the reserve, or hosts would flap',
      );
  }
  return {
    driver,
    ipmitool: {
      timeoutMs: whole(config, 'ipmitool.timeoutSeconds', 15, 1) * 1000,
      wattsSensor: config.getOptionalString('ipmitool.wattsSensor'),
    },
    intervalSeconds: whole(config, 'intervalSeconds', 60, 1),
    softOffTimeoutMs: whole(config, 'softOffTimeoutSeconds', 120, 0) * 1000,
    powerOnTimeoutMs: whole(config, 'powerOnTimeoutSeconds', 300, 1) * 1000,
    readingsRetentionHours: whole(config, 'readingsRetentionHours', 48, 1),
    decisionsRetentionDays: whole(config, 'decisionsRetentionDays', 30, 1),
    consolidation,
    drainStopped: Boolean(
      consolidation && (c?.getOptionalBoolean('drainStopped') ?? true),
    ),
  };
}
