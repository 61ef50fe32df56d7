import { Knex } from 'knex';
import {
  InstanceState,
  LockedPrice,
  PlacementDecision,
  ResourceDemand,
  hourlyPriceMinor,
} from '@tempest/backstage-plugin-appliances-common';

/** An instance as the API shows it. */
export type Instance = {
  id: string;
  hostname: string;
  owner: string;
  applianceId: string;
  hostId?: string;
  requestedHostId?: string;
  maxPricePerHourMinor?: number;
  size: ResourceDemand;
  state: InstanceState;
  version: number;
  price?: LockedPrice & { pricePerHourMinor: number; lockedAt: string };
  placement?: PlacementDecision;
  domainName?: string;
  operationId?: string;
  error?: string;
  createdAt: string;
  updatedAt: string;
};

type InstanceRow = {
  id: string;
  hostname: string;
  active_hostname: string | null;
  owner: string;
  appliance_id: string;
  host_id: string | null;
  requested_host_id: string | null;
  max_price_per_hour_minor: number | string | null;
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
  operation_id: string | null;
  error: string | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
};

const iso = (v: Date | string | number) => new Date(v).toISOString();

function toInstance(row: InstanceRow): Instance {
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
    ...(row.requested_host_id ? { requestedHostId: row.requested_host_id } : {}),
    ...(row.max_price_per_hour_minor !== null
      ? { maxPricePerHourMinor: Number(row.max_price_per_hour_minor) }
      : {}),
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
    ...(row.operation_id ? { operationId: row.operation_id } : {}),
    ...(row.error ? { error: row.error } : {}),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export type NewInstance = {
  id: string;
  hostname: string;
  owner: string;
  applianceId: string;
  size: ResourceDemand;
  requestedHostId?: string;
  maxPricePerHourMinor?: number;
  operationId: string;
};

/** Instances; every change of state bumps the version. */
export class InstanceStore {
  constructor(private readonly db: Knex) {}

  async insert(trx: Knex, input: NewInstance, now: Date) {
    await trx('instances').insert({
      id: input.id,
      hostname: input.hostname,
      active_hostname: input.hostname.toLowerCase(),
      owner: input.owner,
      appliance_id: input.applianceId,
      requested_host_id: input.requestedHostId ?? null,
      max_price_per_hour_minor: input.maxPricePerHourMinor ?? null,
      cpu_cores: input.size.cpuCores,
      memory_mb: input.size.memoryMb,
      storage_mb: input.size.storageMb,
      state: 'provisioning',
      version: 1,
      operation_id: input.operationId,
      created_at: now,
      updated_at: now,
    });
  }

  async get(id: string, trx: Knex = this.db): Promise<Instance | undefined> {
    const row = await trx<InstanceRow>('instances').where({ id }).first();
    return row ? toInstance(row) : undefined;
  }

  async hostnameTaken(hostname: string): Promise<boolean> {
    const row = await this.db('instances')
      .where({ active_hostname: hostname.toLowerCase() })
      .first('id');
    return Boolean(row);
  }

  /** Instances, newest first; `owners` limits them to those owned by one of the refs. */
  async list(filter: { owners?: string[]; includeDeleted?: boolean } = {}): Promise<Instance[]> {
    const query = this.db<InstanceRow>('instances').orderBy('created_at', 'desc');
    if (filter.owners) query.whereIn('owner', filter.owners);
    if (!filter.includeDeleted) query.whereNot({ state: 'deleted' });
    return (await query).map(toInstance);
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db('instances').whereNot({ state: 'deleted' }).count({ n: '*' });
    return Number(n);
  }

  /** Locks the chosen host's prices into the instance with the placement's reasons. */
  async recordPlacement(
    id: string,
    hostId: string,
    price: LockedPrice,
    placement: PlacementDecision,
    trx: Knex = this.db,
  ) {
    await trx('instances')
      .where({ id })
      .update({
        host_id: hostId,
        running_price_minor: price.runningPriceMinor,
        running_period_seconds: price.runningPeriodSeconds,
        storage_price_minor: price.storagePriceMinor,
        storage_period_seconds: price.storagePeriodSeconds,
        priced_at: new Date(),
        placement: JSON.stringify(placement),
        updated_at: new Date(),
      });
  }

  async recordPlacementFailure(id: string, placement: PlacementDecision) {
    await this.db('instances')
      .where({ id })
      .update({ placement: JSON.stringify(placement), updated_at: new Date() });
  }

  async setDomain(id: string, domainName: string) {
    await this.db('instances').where({ id }).update({ domain_name: domainName, updated_at: new Date() });
  }

  /** Moves to a state, bumping the version; a deleted or failed instance frees its hostname. */
  async transition(
    id: string,
    state: InstanceState,
    options: { error?: string; releaseHostname?: boolean; trx?: Knex } = {},
  ) {
    const trx = options.trx ?? this.db;
    await trx('instances')
      .where({ id })
      .update({
        state,
        version: trx.raw('version + 1'),
        error: options.error ?? null,
        ...(options.releaseHostname || state === 'deleted' ? { active_hostname: null } : {}),
        updated_at: new Date(),
      });
  }
}
