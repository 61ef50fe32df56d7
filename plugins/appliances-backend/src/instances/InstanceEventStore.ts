import { Knex } from 'knex';
import {
  InstanceAction,
  InstanceState,
} from '@tempest/backstage-plugin-appliances-common';

export type InstanceEventKind =
  'action' | 'denied' | 'reconcile' | 'provision' | 'migrate';
export type InstanceEventOutcome = 'succeeded' | 'failed' | 'refused';

/** One line of an instance's history. */
export type InstanceEvent = {
  id: number;
  instanceId: string;
  at: string;
  actor: string;
  kind: InstanceEventKind;
  action?: InstanceAction;
  fromState?: InstanceState;
  toState?: InstanceState;
  version?: number;
  outcome: InstanceEventOutcome;
  message?: string;
};

export type NewInstanceEvent = Omit<InstanceEvent, 'id' | 'at'>;

type Row = {
  id: number | string;
  instance_id: string;
  at: Date | string | number;
  actor: string;
  kind: InstanceEventKind;
  action: InstanceAction | null;
  from_state: InstanceState | null;
  to_state: InstanceState | null;
  version: number | null;
  outcome: InstanceEventOutcome;
  message: string | null;
};

/** The instance_events table: what happened to each instance, newest first. */
export class InstanceEventStore {
  /**
   * `onStateChanged` hears of every recorded event that moves an instance to
   * a state, once it is committed (its transaction's, if it was written in one).
   */
  constructor(
    private readonly db: Knex,
    private readonly options: { onStateChanged?: () => void } = {},
  ) {}

  async record(event: NewInstanceEvent, trx: Knex = this.db): Promise<void> {
    await trx('instance_events').insert({
      instance_id: event.instanceId,
      at: new Date(),
      actor: event.actor,
      kind: event.kind,
      action: event.action ?? null,
      from_state: event.fromState ?? null,
      to_state: event.toState ?? null,
      version: event.version ?? null,
      outcome: event.outcome,
      message: event.message ? event.message.slice(0, 2000) : null,
    });
    const notify = this.options.onStateChanged;
    if (!notify || !event.toState) return;
    if (trx.isTransaction) {
      // Rolled back: nothing changed, nothing to tell.
      (trx as Knex.Transaction).executionPromise.then(notify, () => undefined);
    } else {
      notify();
    }
  }

  /** A page of an instance's events, newest first; `before` is the id of the last event seen. */
  async list(
    instanceId: string,
    options: { limit: number; before?: number },
  ): Promise<InstanceEvent[]> {
    const query = this.db<Row>('instance_events')
      .where({ instance_id: instanceId })
      .orderBy('id', 'desc')
      .limit(options.limit);
    if (options.before !== undefined) query.where('id', '<', options.before);
    return (await query).map(row => ({
      id: Number(row.id),
      instanceId: row.instance_id,
      at: new Date(row.at).toISOString(),
      actor: row.actor,
      kind: row.kind,
      ...(row.action ? { action: row.action } : {}),
      ...(row.from_state ? { fromState: row.from_state } : {}),
      ...(row.to_state ? { toState: row.to_state } : {}),
      ...(row.version !== null ? { version: row.version } : {}),
      outcome: row.outcome,
      ...(row.message ? { message: row.message } : {}),
    }));
  }
}
