import { Host, HostPower, HostState } from './Host';

/** A host's row in the `hosts` table. */
export type HostRow = {
  id: string;
  name: string;
  owner: string;
  cpu_model: string;
  core_speed_mhz: number;
  cpu_cores: number;
  memory_mb: number | string;
  storage_mb: number | string;
  speed_unit_mhz: number;
  speed_price_minor: number | string;
  memory_unit_mb: number;
  memory_price_minor: number | string;
  running_period_seconds: number;
  storage_unit_mb: number;
  storage_price_minor: number | string;
  storage_period_seconds: number;
  agent_url: string;
  bmc_address: string | null;
  bmc_credentials: string | null;
  state: HostState;
  powered_on: boolean | number;
  power_state: HostPower['state'];
  power_changed_at: Date | string | number | null;
  watts: number | null;
  watts_read_at: Date | string | number | null;
  bmc_fault: string | null;
  agent_silent_since: Date | string | number | null;
  empty_since: Date | string | number | null;
  used_cpu_cores: number;
  used_memory_mb: number | string;
  used_storage_mb: number | string;
  enrolment_token_hash: string | null;
  enrolment_expires_at: Date | string | number | null;
  enrolled_at: Date | string | number | null;
  agent_token_hash: string | null;
  certificate_fingerprint: string | null;
  last_heartbeat_at: Date | string | number | null;
  last_info: string | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
};

const iso = (value: Date | string | number | null) =>
  value === null ? undefined : new Date(value).toISOString();

/** The host a row of the `hosts` table is, as the API shows it. */
export function toHost(row: HostRow): Host {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner,
    cpuModel: row.cpu_model,
    coreSpeedMhz: row.core_speed_mhz,
    cpuCores: row.cpu_cores,
    memoryMb: Number(row.memory_mb),
    storageMb: Number(row.storage_mb),
    pricing: {
      speedUnitMhz: row.speed_unit_mhz,
      speedPriceMinor: Number(row.speed_price_minor),
      memoryUnitMb: row.memory_unit_mb,
      memoryPriceMinor: Number(row.memory_price_minor),
      runningPeriodSeconds: row.running_period_seconds,
      storageUnitMb: row.storage_unit_mb,
      storagePriceMinor: Number(row.storage_price_minor),
      storagePeriodSeconds: row.storage_period_seconds,
    },
    agentUrl: row.agent_url,
    ...(row.certificate_fingerprint
      ? { agentCertificateFingerprint: row.certificate_fingerprint }
      : {}),
    ...(row.bmc_address
      ? {
          bmc: {
            address: row.bmc_address,
            hasCredentials: row.bmc_credentials !== null,
          },
        }
      : {}),
    state: row.state,
    poweredOn: Boolean(row.powered_on),
    power: {
      state: row.power_state,
      ...(row.watts === null ? {} : { watts: Number(row.watts) }),
      readAt: iso(row.watts_read_at),
      changedAt: iso(row.power_changed_at),
      ...(row.bmc_fault ? { bmcFault: row.bmc_fault } : {}),
      agentSilentSince: iso(row.agent_silent_since),
      emptySince: iso(row.empty_since),
    },
    used: {
      cpuCores: row.used_cpu_cores,
      memoryMb: Number(row.used_memory_mb),
      storageMb: Number(row.used_storage_mb),
    },
    enrolledAt: iso(row.enrolled_at),
    enrolmentExpiresAt: row.enrolled_at
      ? undefined
      : iso(row.enrolment_expires_at),
    lastHeartbeatAt: iso(row.last_heartbeat_at),
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}
