import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  HostPricing,
  PlacementHost,
  ResourceDemand,
} from '@tempest/backstage-plugin-appliances-common';
import { SecretBox } from './SecretBox';
import { Host } from './Host';
import { HostRow, toHost } from './toHost';

export type { Host } from './Host';

/** What a provider gives at registration (Virtuoso's pmseller fields). */
export type HostInput = {
  name: string;
  owner: string;
  cpuModel: string;
  coreSpeedMhz: number;
  cpuCores: number;
  memoryMb: number;
  storageMb: number;
  pricing: HostPricing;
  agentUrl: string;
  bmc?: { address: string; username: string; password: string };
};

function pricingColumns(pricing: HostPricing) {
  return {
    speed_unit_mhz: pricing.speedUnitMhz,
    speed_price_minor: pricing.speedPriceMinor,
    memory_unit_mb: pricing.memoryUnitMb,
    memory_price_minor: pricing.memoryPriceMinor,
    running_period_seconds: pricing.runningPeriodSeconds,
    storage_unit_mb: pricing.storageUnitMb,
    storage_price_minor: pricing.storagePriceMinor,
    storage_period_seconds: pricing.storagePeriodSeconds,
  };
}

/** Hosts, their enrolment, heartbeats and reserved capacity. */
export class HostStore {
  constructor(
    private readonly db: Knex,
    private readonly secrets: SecretBox,
  ) {}

  async create(
    input: HostInput,
    enrolment: { tokenHash: string; expiresAt: Date },
  ): Promise<Host> {
    const id = randomUUID();
    const now = new Date();
    await this.db<HostRow>('hosts').insert({
      id,
      name: input.name,
      owner: input.owner,
      cpu_model: input.cpuModel,
      core_speed_mhz: input.coreSpeedMhz,
      cpu_cores: input.cpuCores,
      memory_mb: input.memoryMb,
      storage_mb: input.storageMb,
      ...pricingColumns(input.pricing),
      agent_url: input.agentUrl,
      bmc_address: input.bmc?.address ?? null,
      bmc_credentials: input.bmc
        ? this.secrets.seal(
            JSON.stringify({
              username: input.bmc.username,
              password: input.bmc.password,
            }),
            id,
          )
        : null,
      state: 'pending',
      powered_on: true,
      power_state: 'on',
      used_cpu_cores: 0,
      used_memory_mb: 0,
      used_storage_mb: 0,
      enrolment_token_hash: enrolment.tokenHash,
      enrolment_expires_at: enrolment.expiresAt,
      created_at: now,
      updated_at: now,
    } as any);
    return (await this.get(id))!;
  }

  async get(id: string): Promise<Host | undefined> {
    const row = await this.db<HostRow>('hosts').where({ id }).first();
    return row ? toHost(row) : undefined;
  }

  async getByName(name: string): Promise<Host | undefined> {
    const row = await this.db<HostRow>('hosts').where({ name }).first();
    return row ? toHost(row) : undefined;
  }

  /** All hosts, or those owned by one of `owners`. */
  async list(filter: { owners?: string[] } = {}): Promise<Host[]> {
    const query = this.db<HostRow>('hosts').orderBy('name');
    if (filter.owners) query.whereIn('owner', filter.owners);
    return (await query).map(toHost);
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db('hosts').count({ n: '*' });
    return Number(n);
  }

  /** New prices apply to instances placed from now on; placed instances keep the price locked into them. */
  async updatePricing(
    id: string,
    pricing: HostPricing,
  ): Promise<Host | undefined> {
    await this.db('hosts')
      .where({ id })
      .update({ ...pricingColumns(pricing), updated_at: new Date() });
    return this.get(id);
  }

  /** Maintenance on takes the host out of placement; off returns it to offline until its next heartbeat. */
  async setMaintenance(
    id: string,
    maintenance: boolean,
  ): Promise<Host | undefined> {
    const query = this.db('hosts').where({ id });
    if (maintenance) {
      await query.update({ state: 'maintenance', updated_at: new Date() });
    } else {
      await query
        .where({ state: 'maintenance' })
        .update({ state: 'offline', updated_at: new Date() });
    }
    return this.get(id);
  }

  async setEnrolmentToken(id: string, tokenHash: string, expiresAt: Date) {
    await this.db('hosts').where({ id }).update({
      enrolment_token_hash: tokenHash,
      enrolment_expires_at: expiresAt,
      updated_at: new Date(),
    });
  }

  /** The host waiting for this (unexpired) enrolment token. */
  async findByEnrolmentToken(
    tokenHash: string,
    now = new Date(),
  ): Promise<Host | undefined> {
    const row = await this.db<HostRow>('hosts')
      .where({ enrolment_token_hash: tokenHash })
      .first();
    if (!row?.enrolment_expires_at || new Date(row.enrolment_expires_at) <= now)
      return undefined;
    return toHost(row);
  }

  /**
   * Consumes a one-time enrolment token: only one caller can win it, and
   * only before it expires. Returns the host it enrolled.
   */
  async consumeEnrolmentToken(
    tokenHash: string,
    enrolled: {
      agentTokenHash: string;
      certificateFingerprint: string;
    },
    now = new Date(),
  ): Promise<Host | undefined> {
    const row = await this.db<HostRow>('hosts')
      .where({ enrolment_token_hash: tokenHash })
      .first();
    if (
      !row ||
      !row.enrolment_expires_at ||
      new Date(row.enrolment_expires_at) <= now
    ) {
      return undefined;
    }
    const updated = await this.db('hosts')
      .where({ id: row.id, enrolment_token_hash: tokenHash })
      .update({
        enrolment_token_hash: null,
        enrolment_expires_at: null,
        enrolled_at: now,
        agent_token_hash: enrolled.agentTokenHash,
        certificate_fingerprint: enrolled.certificateFingerprint,
        updated_at: now,
      });
    return updated === 1 ? this.get(row.id) : undefined;
  }

  /**
   * Where the backend reaches the host's agent. Only its provider changes it
   * (an audited API call) or the backend for its own embedded hosts; never a
   * heartbeat. The agent must still present the certificate issued to it.
   */
  async setAgentUrl(id: string, agentUrl: string): Promise<Host | undefined> {
    await this.db('hosts')
      .where({ id })
      .update({ agent_url: agentUrl, updated_at: new Date() });
    return this.get(id);
  }

  /**
   * Records a heartbeat from the agent holding this token. A pending or
   * offline host comes online; maintenance stays maintenance. What the agent
   * says about its own URL is not recorded: see setAgentUrl.
   */
  async recordHeartbeat(
    agentTokenHash: string,
    heartbeat: { info: unknown },
    now = new Date(),
  ): Promise<{ host: Host; cameOnline: boolean } | undefined> {
    const row = await this.db<HostRow>('hosts')
      .where({ agent_token_hash: agentTokenHash })
      .first();
    if (!row) return undefined;
    const cameOnline = row.state === 'pending' || row.state === 'offline';
    await this.db('hosts')
      .where({ id: row.id })
      .update({
        last_heartbeat_at: now,
        last_info: JSON.stringify(heartbeat.info ?? null),
        ...(cameOnline ? { state: 'online' } : {}),
        updated_at: now,
      });
    return { host: (await this.get(row.id))!, cameOnline };
  }

  /** Online hosts whose last heartbeat is older than `cutoff` go offline. Returns them. */
  async markStaleOffline(cutoff: Date): Promise<Host[]> {
    const stale = await this.db<HostRow>('hosts')
      .where({ state: 'online' })
      .andWhere(q =>
        q
          .where('last_heartbeat_at', '<', cutoff)
          .orWhereNull('last_heartbeat_at'),
      );
    const marked: Host[] = [];
    for (const row of stale) {
      const n = await this.db('hosts')
        .where({ id: row.id, state: 'online' })
        .andWhere(q =>
          q
            .where('last_heartbeat_at', '<', cutoff)
            .orWhereNull('last_heartbeat_at'),
        )
        .update({ state: 'offline', updated_at: new Date() });
      if (n) marked.push({ ...toHost(row), state: 'offline' });
    }
    return marked;
  }

  /**
   * Reserves capacity if it still fits: one conditional update, so two
   * operations racing for the last cores cannot both win.
   */
  async reserve(
    hostId: string,
    demand: ResourceDemand,
    trx: Knex = this.db,
  ): Promise<boolean> {
    // A host that is off (and offline because of it) is reserved before it is powered on.
    const n = await trx('hosts')
      .where({ id: hostId })
      .andWhere(q =>
        q
          .where({ state: 'online' })
          .orWhere(off =>
            off
              .where({ state: 'offline', power_state: 'off' })
              .whereNotNull('bmc_credentials'),
          ),
      )
      .andWhereRaw('used_cpu_cores + ? <= cpu_cores', [demand.cpuCores])
      .andWhereRaw('used_memory_mb + ? <= memory_mb', [demand.memoryMb])
      .andWhereRaw('used_storage_mb + ? <= storage_mb', [demand.storageMb])
      .update({
        used_cpu_cores: trx.raw('used_cpu_cores + ?', [demand.cpuCores]),
        used_memory_mb: trx.raw('used_memory_mb + ?', [demand.memoryMb]),
        used_storage_mb: trx.raw('used_storage_mb + ?', [demand.storageMb]),
      });
    return n === 1;
  }

  async release(
    hostId: string,
    demand: ResourceDemand,
    trx: Knex = this.db,
  ): Promise<void> {
    await trx('hosts')
      .where({ id: hostId })
      .update({
        used_cpu_cores: trx.raw('used_cpu_cores - ?', [demand.cpuCores]),
        used_memory_mb: trx.raw('used_memory_mb - ?', [demand.memoryMb]),
        used_storage_mb: trx.raw('used_storage_mb - ?', [demand.storageMb]),
      });
  }

  /** Every registered host as placement sees it. */
  /**
   * The networks each host's agent offered in its last heartbeat, by host id;
   * a host whose agent has not said is left out (unknown, not none).
   */
  async offeredNetworks(): Promise<Map<string, string[]>> {
    const rows = await this.db<HostRow>('hosts')
      .whereNotNull('last_info')
      .select('id', 'last_info');
    const offered = new Map<string, string[]>();
    for (const row of rows) {
      const networks = (JSON.parse(row.last_info!) as { networks?: unknown })
        ?.networks;
      if (Array.isArray(networks))
        offered.set(
          row.id,
          networks
            .map(n => (n as { name?: unknown })?.name)
            .filter((n): n is string => typeof n === 'string'),
        );
    }
    return offered;
  }

  async placementHosts(): Promise<PlacementHost[]> {
    const rows = await this.db<HostRow>('hosts').whereNot({ state: 'pending' });
    return rows.map(row => {
      const host = toHost(row);
      return {
        id: host.id,
        name: host.name,
        state: host.state === 'pending' ? 'offline' : host.state,
        poweredOn: host.power.state !== 'off',
        // Only a host whose BMC Tempest can reach can be powered on for a placement.
        canPowerOn: Boolean(row.bmc_address && row.bmc_credentials),
        coreSpeedMhz: host.coreSpeedMhz,
        capacity: {
          cpuCores: host.cpuCores,
          memoryMb: host.memoryMb,
          storageMb: host.storageMb,
        },
        used: host.used,
        pricing: host.pricing,
      };
    });
  }

  /** Gives a host a BMC (the embedded hosts registered before they had one). */
  async setBmc(
    id: string,
    bmc: { address: string; username: string; password: string },
  ): Promise<void> {
    await this.db('hosts')
      .where({ id })
      .update({
        bmc_address: bmc.address,
        bmc_credentials: this.secrets.seal(
          JSON.stringify({ username: bmc.username, password: bmc.password }),
          id,
        ),
        updated_at: new Date(),
      });
  }

  /** Where the host's BMC is and its credentials, opened for the power driver; never for the API. */
  async bmcTarget(
    id: string,
  ): Promise<
    { address: string; username: string; password: string } | undefined
  > {
    const row = await this.db<HostRow>('hosts').where({ id }).first();
    if (!row?.bmc_address || !row.bmc_credentials) return undefined;
    return {
      address: row.bmc_address,
      ...JSON.parse(this.secrets.open(row.bmc_credentials, id)),
    };
  }

  /** The BMC credentials, opened for the power driver; never for the API. */
  async bmcCredentials(
    id: string,
  ): Promise<{ username: string; password: string } | undefined> {
    const row = await this.db<HostRow>('hosts').where({ id }).first();
    if (!row?.bmc_credentials) return undefined;
    return JSON.parse(this.secrets.open(row.bmc_credentials, id));
  }
}
