import { Host } from '../../hosts/HostStore';
import { ConsolidationPolicy } from '../PowerConsolidator';

/** Hosts and a policy for the pure power planners' tests. */
export const MINUTE = 60_000;
const pricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 1,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 10240,
  storagePriceMinor: 1,
  storagePeriodSeconds: 86400,
};
export const now = new Date('2026-12-03T12:00:00Z');
export const ago = (minutes: number) =>
  new Date(now.getTime() - minutes * MINUTE).toISOString();

export const policy: ConsolidationPolicy = {
  graceMs: 15 * MINUTE,
  reserve: { cpuCores: 6, memoryMb: 0 },
  lowerBand: { cpuCores: 2, memoryMb: 0 },
};

/** A host of `cores` cores (4 GB each), on and busy unless told otherwise. */
export function host(
  name: string,
  cores: number,
  o: {
    power?: 'on' | 'off';
    usedCores?: number;
    emptyFor?: number;
    offFor?: number;
  } = {},
): Host {
  const used = o.usedCores ?? 0;
  return {
    id: name,
    name,
    owner: 'user:default/provider',
    cpuModel: 'Sim',
    coreSpeedMhz: 2000,
    cpuCores: cores,
    memoryMb: cores * 4096,
    storageMb: 1_000_000,
    pricing,
    agentUrl: 'https://127.0.0.1:1',
    bmc: { address: `${name}.bmc`, hasCredentials: true },
    state: o.power === 'off' ? 'offline' : 'online',
    poweredOn: o.power !== 'off',
    power: {
      state: o.power ?? 'on',
      changedAt: ago(o.offFor ?? 600),
      ...(o.emptyFor !== undefined ? { emptySince: ago(o.emptyFor) } : {}),
    },
    used: { cpuCores: used, memoryMb: used * 1024, storageMb: used * 1000 },
    createdAt: ago(10_000),
    updatedAt: ago(10_000),
  };
}
