import { Knex } from 'knex';
import { PermissionCriteria } from '@backstage/plugin-permission-common';
import { InstanceQuery } from '../permissions/instanceRules';
import { applyCriteria } from '../permissions/applyCriteria';
import { issueMac } from './issueMac';
import { SealedVariables } from './instanceValues';
import {
  InstanceAction,
  InstanceState,
  LockedPrice,
  PlacementDecision,
} from '@tempest/backstage-plugin-appliances-common';
import { Instance, InterruptedAction } from './Instance';
import { InstanceRow, toInstance } from './toInstance';
import { NewInstance, insertInstance } from './insertInstance';

export type { Instance } from './Instance';

/** Which instances a list returns; `criteria` is the caller's permission filter. */
export type InstancePageQuery = {
  criteria?: PermissionCriteria<InstanceQuery>;
  state?: InstanceState;
  hostId?: string;
  owner?: string;
  /** Matches the live instance's hostname, case-insensitively. */
  hostname?: string;
  includeDeleted?: boolean;
  limit: number;
  offset: number;
};

const NO_PENDING = {
  pending_action: null,
  pending_since: null,
  pending_from: null,
  pending_until: null,
};

/** Instances; every change of state bumps the version. */
export class InstanceStore {
  constructor(
    private readonly db: Knex,
    private readonly newMac: () => string = issueMac,
  ) {}

  /** Records a requested instance with a MAC of its own (drawn again, within the transaction, while it collides). */
  async insert(trx: Knex, input: NewInstance, now: Date) {
    await insertInstance(trx, input, now, this.newMac);
  }

  async get(id: string, trx: Knex = this.db): Promise<Instance | undefined> {
    const row = await trx<InstanceRow>('instances').where({ id }).first();
    return row ? toInstance(row) : undefined;
  }

  /** The sealed secret variables, for the guest's seed only. */
  async sealedVariables(id: string): Promise<SealedVariables | undefined> {
    const row = await this.db<InstanceRow>('instances')
      .where({ id })
      .first('secret_variables');
    return row?.secret_variables ? JSON.parse(row.secret_variables) : undefined;
  }

  async hostnameTaken(hostname: string): Promise<boolean> {
    const row = await this.db('instances')
      .where({ active_hostname: hostname.toLowerCase() })
      .first('id');
    return Boolean(row);
  }

  /** Instances, newest first; `owners` limits them to those owned by one of the refs. */
  async list(
    filter: { owners?: string[]; includeDeleted?: boolean } = {},
  ): Promise<Instance[]> {
    const query = this.db<InstanceRow>('instances').orderBy(
      'created_at',
      'desc',
    );
    if (filter.owners) query.whereIn('owner', filter.owners);
    if (!filter.includeDeleted) query.whereNot({ state: 'deleted' });
    return (await query).map(toInstance);
  }

  /** A page of instances, newest first, filtered in the database by the caller's criteria. */
  async page(
    q: InstancePageQuery,
  ): Promise<{ items: Instance[]; totalCount: number }> {
    const base = this.db<InstanceRow>('instances');
    if (q.criteria) applyCriteria(base, q.criteria);
    if (q.state) base.where('instances.state', q.state);
    else if (!q.includeDeleted) base.whereNot('instances.state', 'deleted');
    if (q.hostId) base.where('instances.host_id', q.hostId);
    if (q.owner) base.where('instances.owner', q.owner);
    if (q.hostname)
      base.where('instances.active_hostname', q.hostname.toLowerCase());
    const [rows, [{ n }]] = await Promise.all([
      base
        .clone()
        .select('instances.*')
        .orderBy([
          { column: 'instances.created_at', order: 'desc' },
          { column: 'instances.id', order: 'desc' },
        ])
        .limit(q.limit)
        .offset(q.offset),
      base.clone().count({ n: '*' }),
    ]);
    return {
      items: (rows as InstanceRow[]).map(toInstance),
      totalCount: Number(n),
    };
  }

  /** The instance when the criteria allow it (undefined otherwise, so existence does not leak). */
  async getVisible(
    id: string,
    criteria?: PermissionCriteria<InstanceQuery>,
  ): Promise<Instance | undefined> {
    const query = this.db<InstanceRow>('instances').where('instances.id', id);
    if (criteria) applyCriteria(query, criteria);
    const row = await query.first('instances.*');
    return row ? toInstance(row) : undefined;
  }

  /**
   * Claims an action: one conditional update (id, version, state, no action
   * in flight), so of any number of concurrent callers that saw the same
   * version exactly one wins. Moves to `to` and bumps the version.
   */
  async claimAction(
    id: string,
    claim: {
      expectedVersion: number;
      from: InstanceState;
      to: InstanceState;
      action: InstanceAction;
      hostname?: string;
      /** How long the claim holds unless renewed (renewAction). */
      leaseMs: number;
    },
    trx: Knex = this.db,
  ): Promise<boolean> {
    const now = new Date();
    const n = await trx('instances')
      .where({ id, version: claim.expectedVersion, state: claim.from })
      .whereNull('pending_action')
      .update({
        state: claim.to,
        version: claim.expectedVersion + 1,
        pending_action: claim.action,
        pending_since: now,
        pending_from: claim.from,
        pending_until: new Date(now.getTime() + claim.leaseMs),
        error: null,
        ...(claim.to === 'started' ? { started_at: now } : {}),
        // A retry takes the hostname back (released when provisioning failed).
        ...(claim.hostname
          ? { active_hostname: claim.hostname.toLowerCase() }
          : {}),
        updated_at: now,
      });
    return n === 1;
  }

  /**
   * Ends a claimed action that the agent carried out; `state` moves on once
   * more (deleting → deleted). Returns the instance as it now is, from the
   * same statement (RETURNING), or undefined when the claim was no longer
   * current (settled meanwhile).
   */
  async finishAction(
    id: string,
    claimedVersion: number,
    state?: InstanceState,
  ): Promise<Instance | undefined> {
    const [row] = (await this.db('instances')
      .where({ id, version: claimedVersion })
      .update({
        ...NO_PENDING,
        ...(state ? { state, version: claimedVersion + 1 } : {}),
        ...(state === 'deleted' ? { active_hostname: null } : {}),
        updated_at: new Date(),
      })
      .returning('*')) as InstanceRow[];
    return row ? toInstance(row) : undefined;
  }

  /** Puts a claimed instance back where it was, with the reason; bumps the version. */
  async revertAction(
    id: string,
    claimedVersion: number,
    from: InstanceState,
    error: string,
  ): Promise<boolean> {
    const n = await this.db('instances')
      .where({ id, version: claimedVersion })
      .update({
        state: from,
        version: claimedVersion + 1,
        ...NO_PENDING,
        error,
        updated_at: new Date(),
      });
    return n === 1;
  }

  /**
   * Records what the agent reports when it differs (the reconciler): only
   * if nobody changed the instance since it was read and no action is in flight.
   */
  async reconcile(
    id: string,
    seenVersion: number,
    state: InstanceState,
    error: string | null,
  ): Promise<boolean> {
    const n = await this.db('instances')
      .where({ id, version: seenVersion })
      .whereNull('pending_action')
      .update({
        state,
        version: seenVersion + 1,
        error,
        ...(state === 'started' ? { started_at: new Date() } : {}),
        updated_at: new Date(),
      });
    return n === 1;
  }

  /** Instances a power-off of their host would interrupt: running, suspended or busy. */
  async listActiveOnHost(hostId: string): Promise<Instance[]> {
    const rows = await this.db<InstanceRow>('instances')
      .where({ host_id: hostId })
      .whereIn('state', [
        'started',
        'suspended',
        'provisioning',
        'migrating',
        'deleting',
      ])
      .orderBy('hostname');
    return rows.map(toInstance);
  }

  /** Instances placed on a host whose recorded state the agent can confirm. */
  async listOnHostForReconcile(hostId: string): Promise<Instance[]> {
    const rows = await this.db<InstanceRow>('instances')
      .where({ host_id: hostId })
      .whereIn('state', ['started', 'stopped', 'suspended', 'stored'])
      .whereNotNull('domain_name');
    return rows.map(toInstance);
  }

  /** Keeps a claimed action's lease while its agent call runs; false once the claim is gone. */
  async renewAction(
    id: string,
    claimedVersion: number,
    leaseMs: number,
  ): Promise<boolean> {
    const n = await this.db('instances')
      .where({ id, version: claimedVersion })
      .whereNotNull('pending_action')
      .update({ pending_until: new Date(Date.now() + leaseMs) });
    return n === 1;
  }

  /** Actions whose process stopped renewing their lease (it died, or restarted). */
  async listInterrupted(now = new Date()): Promise<InterruptedAction[]> {
    const rows = await this.db<InstanceRow>('instances')
      .whereNotNull('pending_action')
      .andWhere(q =>
        q.whereNull('pending_until').orWhere('pending_until', '<', now),
      );
    return rows.map(row => ({
      ...toInstance(row),
      pendingAction: row.pending_action!,
      // Claims from before action leases recorded no starting state.
      pendingFrom: row.pending_from ?? row.state,
    }));
  }

  /**
   * Settles an interrupted action: the state the agent's truth implies, the
   * claim cleared, the version bumped. Only if the claim is still the one
   * read and its lease has lapsed, so a live process or a second settler
   * never loses to this one.
   */
  async settleInterrupted(
    id: string,
    claimedVersion: number,
    state: InstanceState,
    error: string | null,
    now = new Date(),
  ): Promise<boolean> {
    const n = await this.db('instances')
      .where({ id, version: claimedVersion })
      .whereNotNull('pending_action')
      .andWhere(q =>
        q.whereNull('pending_until').orWhere('pending_until', '<', now),
      )
      .update({
        ...NO_PENDING,
        state,
        version: claimedVersion + 1,
        error,
        ...(state === 'started' ? { started_at: now } : {}),
        ...(state === 'deleted' ? { active_hostname: null } : {}),
        updated_at: now,
      });
    return n === 1;
  }

  async count(): Promise<number> {
    const [{ n }] = await this.db('instances')
      .whereNot({ state: 'deleted' })
      .count({ n: '*' });
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

  async setDomain(id: string, domainName: string, network?: string) {
    await this.db('instances')
      .where({ id })
      .update({
        domain_name: domainName,
        ...(network ? { network } : {}),
        updated_at: new Date(),
      });
  }

  /** Records the addresses the agent reports when they differ from those recorded; true when they did. */
  async recordAddresses(id: string, addresses: string[]): Promise<boolean> {
    const value = JSON.stringify([...addresses].sort());
    const n = await this.db('instances')
      .where({ id })
      .andWhere(q => q.whereNull('addresses').orWhereNot('addresses', value))
      .update({ addresses: value, addresses_at: new Date() });
    return n === 1;
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
        ...(state === 'started' ? { started_at: new Date() } : {}),
        ...(options.releaseHostname || state === 'deleted'
          ? { active_hostname: null }
          : {}),
        updated_at: new Date(),
      });
  }
}
