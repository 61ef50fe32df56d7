import {
  InstanceAction,
  InstanceState,
  LockedPrice,
  hourlyPriceMinor,
} from '@tempest/backstage-plugin-appliances-common';
import { Instance } from './Instance';
import { SealedVariables } from './instanceValues';

/** An instance's row in the `instances` table. */
export type InstanceRow = {
  id: string;
  hostname: string;
  active_hostname: string | null;
  owner: string;
  appliance_id: string;
  host_id: string | null;
  requested_host_id: string | null;
  max_price_per_hour_minor: number | string | null;
  cost_center?: string | null;
  cpu_cores: number;
  memory_mb: number | string;
  storage_mb: number | string;
  state: InstanceState;
  version: number;
  running_price_minor: number | string | null;
  running_period_seconds: number | null;
  storage_price_minor: number | string | null;
  storage_period_seconds: number | null;
  priced_at: Date | string | number | null;
  placement: string | null;
  domain_name: string | null;
  mac?: string | null;
  network?: string | null;
  addresses?: string | null;
  webpanel?: string | null;
  domain?: string | null;
  ssh_authorized_keys?: string | null;
  variables?: string | null;
  secret_variables?: string | null;
  operation_id: string | null;
  error: string | null;
  pending_action?: InstanceAction | null;
  pending_from?: InstanceState | null;
  pending_until?: Date | string | number | null;
  started_at?: Date | string | number | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
};

const iso = (v: Date | string | number) => new Date(v).toISOString();

/** The instance a row of the `instances` table is, as the API shows it. */
export function toInstance(row: InstanceRow): Instance {
  const price: LockedPrice | undefined =
    row.running_price_minor === null
      ? undefined
      : {
          runningPriceMinor: Number(row.running_price_minor),
          runningPeriodSeconds: row.running_period_seconds!,
          storagePriceMinor: Number(row.storage_price_minor),
          storagePeriodSeconds: row.storage_period_seconds!,
        };
  return {
    id: row.id,
    hostname: row.hostname,
    owner: row.owner,
    applianceId: row.appliance_id,
    ...(row.host_id ? { hostId: row.host_id } : {}),
    ...(row.requested_host_id
      ? { requestedHostId: row.requested_host_id }
      : {}),
    ...(row.max_price_per_hour_minor !== null
      ? { maxPricePerHourMinor: Number(row.max_price_per_hour_minor) }
      : {}),
    ...(row.cost_center ? { costCenter: row.cost_center } : {}),
    size: {
      cpuCores: row.cpu_cores,
      memoryMb: Number(row.memory_mb),
      storageMb: Number(row.storage_mb),
    },
    state: row.state,
    version: row.version,
    ...(price
      ? {
          price: {
            ...price,
            pricePerHourMinor: hourlyPriceMinor(price),
            lockedAt: iso(row.priced_at!),
          },
        }
      : {}),
    ...(row.placement ? { placement: JSON.parse(row.placement) } : {}),
    ...(row.domain_name ? { domainName: row.domain_name } : {}),
    ...(row.mac ? { mac: row.mac } : {}),
    ...(row.network ? { network: row.network } : {}),
    addresses: row.addresses ? JSON.parse(row.addresses) : [],
    ...webpanelUrlOf(row),
    ...(row.domain ? { domain: row.domain } : {}),
    sshAuthorizedKeys: row.ssh_authorized_keys
      ? JSON.parse(row.ssh_authorized_keys)
      : [],
    variables: row.variables ? JSON.parse(row.variables) : {},
    secretVariables: row.secret_variables
      ? (JSON.parse(row.secret_variables) as SealedVariables).names
      : [],
    ...(row.operation_id ? { operationId: row.operation_id } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.pending_action ? { pendingAction: row.pending_action } : {}),
    ...(row.started_at ? { startedAt: iso(row.started_at) } : {}),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** A webpanel path on the instance becomes a URL at its first address (IPv4 first); a URL stays as it is. */
function webpanelUrlOf(row: InstanceRow): { webpanelUrl?: string } {
  if (!row.webpanel) return {};
  if (!row.webpanel.startsWith('/')) return { webpanelUrl: row.webpanel };
  const addresses: string[] = row.addresses ? JSON.parse(row.addresses) : [];
  const address =
    addresses.find(a => !a.includes(':')) ??
    addresses.find(a => !/^fe80:/i.test(a));
  if (!address) return {};
  const host = address.includes(':') ? `[${address}]` : address;
  return { webpanelUrl: `http://${host}${row.webpanel}` };
}
