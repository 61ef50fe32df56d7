import { Knex } from 'knex';

/** The steps of provisioning, in order (STORM's component interaction, Figure 4). */
export const PROVISION_STEPS = [
  'place',
  'reserve-capacity',
  'power-on',
  'install-images',
  'create-disk',
  'define',
  'start',
  'publish',
] as const;

export type ProvisionStepName = (typeof PROVISION_STEPS)[number];

/**
 * The steps of a migration (Virtuoso's VMMP): choose and reserve the
 * destination, install the image layers it lacks, export the disk on the
 * source, let the destination pull it (rsync, with heartbeats), define the
 * domain there, commit the move in one transaction, then clean the source.
 */
export const MIGRATION_STEPS = [
  'place',
  'reserve-capacity',
  'install-images',
  'export',
  'transfer',
  'define',
  'commit',
  'clean-up',
] as const;

/**
 * A running instance's move (live migration): the destination pulls only the
 * files that do not change while the guest runs, gets ready to receive the
 * domain, and the source's hypervisor copies memory and the writable layers
 * across while the guest runs on, pausing it only for the switch-over. Once
 * live-move is done the instance runs on the destination: from there on the
 * operation only goes forward.
 */
export const LIVE_MIGRATION_STEPS = [
  'place',
  'reserve-capacity',
  'install-images',
  'export',
  'transfer',
  'receive',
  'live-move',
  'commit',
  'clean-up',
] as const;

export type MigrationStepName =
  (typeof MIGRATION_STEPS)[number] | (typeof LIVE_MIGRATION_STEPS)[number];

export type StepName = ProvisionStepName | MigrationStepName;

export type OperationKind = 'provision' | 'migrate';

const STEPS_OF: Record<OperationKind, readonly StepName[]> = {
  provision: PROVISION_STEPS,
  migrate: MIGRATION_STEPS,
};

export type OperationState =
  'pending' | 'running' | 'rolling-back' | 'succeeded' | 'failed';
export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'undone';

export type OperationStep = {
  name: StepName;
  state: StepState;
  /** 0 to 1. */
  progress: number;
  detail?: Record<string, unknown>;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
};

export type Operation = {
  id: string;
  kind: OperationKind;
  instanceId: string;
  requestedBy: string;
  state: OperationState;
  failedStep?: StepName;
  error?: string;
  steps: OperationStep[];
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
};

type OperationRow = {
  id: string;
  kind: OperationKind;
  instance_id: string;
  requested_by: string;
  idempotency_key: string | null;
  request_hash: string;
  request: string;
  state: OperationState;
  failed_step: StepName | null;
  error: string | null;
  lease_owner: string | null;
  lease_expires_at: Date | string | number | null;
  created_at: Date | string | number;
  updated_at: Date | string | number;
  finished_at: Date | string | number | null;
};

type StepRow = {
  operation_id: string;
  position: number;
  name: StepName;
  state: StepState;
  progress: number;
  detail: string | null;
  error: string | null;
  started_at: Date | string | number | null;
  finished_at: Date | string | number | null;
};

const iso = (v: Date | string | number | null) =>
  v === null ? undefined : new Date(v).toISOString();

function toStep(row: StepRow): OperationStep {
  return {
    name: row.name,
    state: row.state,
    progress: Number(row.progress),
    ...(row.detail ? { detail: JSON.parse(row.detail) } : {}),
    ...(row.error ? { error: row.error } : {}),
    ...(row.started_at !== null ? { startedAt: iso(row.started_at) } : {}),
    ...(row.finished_at !== null ? { finishedAt: iso(row.finished_at) } : {}),
  };
}

/** Durable operations and their steps. */
export class OperationStore {
  constructor(private readonly db: Knex) {}

  async insert(
    trx: Knex,
    input: {
      id: string;
      instanceId: string;
      requestedBy: string;
      idempotencyKey?: string;
      requestHash: string;
      request: unknown;
      /** Provisioning unless said otherwise. */
      kind?: OperationKind;
      /** The kind's steps unless given (a live move has its own). */
      steps?: readonly StepName[];
    },
    now: Date,
  ) {
    const kind = input.kind ?? 'provision';
    await trx('operations').insert({
      id: input.id,
      kind,
      instance_id: input.instanceId,
      requested_by: input.requestedBy,
      idempotency_key: input.idempotencyKey ?? null,
      request_hash: input.requestHash,
      request: JSON.stringify(input.request),
      state: 'pending',
      created_at: now,
      updated_at: now,
    });
    await trx('operation_steps').insert(
      (input.steps ?? STEPS_OF[kind]).map((name, position) => ({
        operation_id: input.id,
        position,
        name,
        state: 'pending',
        progress: 0,
      })),
    );
  }

  async findByIdempotencyKey(
    requestedBy: string,
    key: string,
  ): Promise<
    { id: string; instanceId: string; requestHash: string } | undefined
  > {
    const row = await this.db<OperationRow>('operations')
      .where({ requested_by: requestedBy, idempotency_key: key })
      .first('id', 'instance_id', 'request_hash');
    return row
      ? {
          id: row.id,
          instanceId: row.instance_id,
          requestHash: row.request_hash,
        }
      : undefined;
  }

  async get(id: string): Promise<Operation | undefined> {
    const row = await this.db<OperationRow>('operations').where({ id }).first();
    if (!row) return undefined;
    const steps = await this.db<StepRow>('operation_steps')
      .where({ operation_id: id })
      .orderBy('position');
    return {
      id: row.id,
      kind: row.kind,
      instanceId: row.instance_id,
      requestedBy: row.requested_by,
      state: row.state,
      ...(row.failed_step ? { failedStep: row.failed_step } : {}),
      ...(row.error ? { error: row.error } : {}),
      steps: steps.map(toStep),
      createdAt: iso(row.created_at)!,
      // A step's start or end is a change of the operation: the runner writes only the step's row.
      updatedAt: new Date(
        Math.max(
          ...[
            row.updated_at,
            ...steps.flatMap(r => [r.started_at, r.finished_at]),
          ]
            .filter(v => v !== null)
            .map(v => new Date(v!).getTime()),
        ),
      ).toISOString(),
      ...(row.finished_at !== null ? { finishedAt: iso(row.finished_at) } : {}),
    };
  }

  async request<T>(id: string): Promise<T> {
    const row = await this.db<OperationRow>('operations')
      .where({ id })
      .first('request');
    return JSON.parse(row!.request);
  }

  /** Unfinished operations whose lease has lapsed (their runner died or never started). */
  async listOrphaned(now = new Date()): Promise<string[]> {
    const rows = await this.db<OperationRow>('operations')
      .whereIn('state', ['pending', 'running', 'rolling-back'])
      .andWhere(q =>
        q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', now),
      )
      .select('id');
    return rows.map(r => r.id);
  }

  /**
   * Takes or renews the lease on an unfinished operation; false when another
   * runner holds it. Leases keep two replicas from driving one operation.
   */
  async lease(
    id: string,
    owner: string,
    ttlMs: number,
    now = new Date(),
  ): Promise<boolean> {
    const n = await this.db('operations')
      .where({ id })
      .whereIn('state', ['pending', 'running', 'rolling-back'])
      .andWhere(q =>
        q
          .whereNull('lease_owner')
          .orWhere({ lease_owner: owner })
          .orWhere('lease_expires_at', '<', now),
      )
      .update({
        lease_owner: owner,
        lease_expires_at: new Date(now.getTime() + ttlMs),
      });
    return n === 1;
  }

  async releaseLease(id: string, owner: string) {
    await this.db('operations')
      .where({ id, lease_owner: owner })
      .update({ lease_owner: null, lease_expires_at: null });
  }

  async setState(
    id: string,
    state: OperationState,
    extra: { failedStep?: StepName; error?: string } = {},
  ) {
    const finished = state === 'succeeded' || state === 'failed';
    await this.db('operations')
      .where({ id })
      .update({
        state,
        ...(extra.failedStep ? { failed_step: extra.failedStep } : {}),
        ...(extra.error ? { error: extra.error } : {}),
        updated_at: new Date(),
        ...(finished
          ? {
              finished_at: new Date(),
              lease_owner: null,
              lease_expires_at: null,
            }
          : {}),
      });
  }

  async updateStep(
    id: string,
    name: StepName,
    change: {
      state?: StepState;
      progress?: number;
      detail?: Record<string, unknown>;
      error?: string | null;
    },
    trx: Knex = this.db,
  ) {
    const now = new Date();
    await trx('operation_steps')
      .where({ operation_id: id, name })
      .update({
        ...(change.state ? { state: change.state } : {}),
        ...(change.state === 'running'
          ? { started_at: now, finished_at: null }
          : {}),
        ...(change.state &&
        change.state !== 'running' &&
        change.state !== 'pending'
          ? { finished_at: now }
          : {}),
        ...(change.progress !== undefined ? { progress: change.progress } : {}),
        ...(change.detail ? { detail: JSON.stringify(change.detail) } : {}),
        ...(change.error !== undefined ? { error: change.error } : {}),
      });
  }

  /** Sets a failed operation going again from its first step (a retry); false unless it had failed. */
  async reopen(id: string, trx: Knex = this.db): Promise<boolean> {
    const now = new Date();
    const n = await trx('operations').where({ id, state: 'failed' }).update({
      state: 'pending',
      failed_step: null,
      error: null,
      finished_at: null,
      updated_at: now,
    });
    if (n !== 1) return false;
    await trx('operation_steps').where({ operation_id: id }).update({
      state: 'pending',
      progress: 0,
      detail: null,
      error: null,
      started_at: null,
      finished_at: null,
    });
    return true;
  }
}
