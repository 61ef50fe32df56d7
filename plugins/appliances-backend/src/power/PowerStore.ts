import { Knex } from 'knex';

export type PowerState = 'on' | 'off' | 'unknown';

export type PowerDecisionAction =
  'on' | 'off' | 'cycle' | 'drift' | 'fault' | 'silent' | 'drain';

export type PowerDecision = {
  id: number;
  hostId: string;
  hostName: string;
  decidedAt: string;
  /** A user entity ref, `power-loop` or `provisioning`. */
  actor: string;
  action: PowerDecisionAction;
  reason: string;
  outcome: 'done' | 'failed';
  /** For an off: the draw before it, what it saves per hour. */
  watts?: number;
};

export type PowerReading = { watts: number; readAt: string };

const iso = (value: Date | string | number) => new Date(value).toISOString();

/** Host power state, readings (bounded) and the decisions log. */
export class PowerStore {
  constructor(private readonly db: Knex) {}

  /**
   * Records what the BMC says (or `unknown`). Returns the previous state.
   * `powered_on` follows for placement: only a host known to be off is off.
   */
  async setState(
    hostId: string,
    state: PowerState,
    now = new Date(),
  ): Promise<PowerState | undefined> {
    return this.db.transaction(async trx => {
      const row = await trx('hosts').where({ id: hostId }).first('power_state');
      if (!row) return undefined;
      if (row.power_state !== state) {
        await trx('hosts')
          .where({ id: hostId })
          .update({
            power_state: state,
            powered_on: state !== 'off',
            power_changed_at: now,
            // The agent of a host that is off cannot be heard: offline at once.
            ...(state === 'off' ? { agent_silent_since: null } : {}),
            updated_at: now,
          });
        if (state === 'off')
          await trx('hosts')
            .where({ id: hostId, state: 'online' })
            .update({ state: 'offline' });
      }
      return row.power_state as PowerState;
    });
  }

  /**
   * Marks an empty host off before its BMC is told, so that no reservation
   * can slip in between: false if it holds anything or is not on.
   */
  async claimEmptyForOff(hostId: string, now = new Date()): Promise<boolean> {
    const n = await this.db('hosts')
      .where({
        id: hostId,
        power_state: 'on',
        used_cpu_cores: 0,
        used_memory_mb: 0,
        used_storage_mb: 0,
      })
      .whereNot({ state: 'maintenance' })
      .update({
        power_state: 'off',
        powered_on: false,
        power_changed_at: now,
        agent_silent_since: null,
        updated_at: now,
      });
    if (n)
      await this.db('hosts')
        .where({ id: hostId, state: 'online' })
        .update({ state: 'offline' });
    return n === 1;
  }

  async recordReading(hostId: string, watts: number, now = new Date()) {
    await this.db('hosts')
      .where({ id: hostId })
      .update({ watts, watts_read_at: now });
    await this.db('host_power_readings').insert({
      host_id: hostId,
      watts,
      read_at: now,
    });
  }

  async setFault(hostId: string, fault: string | null, now = new Date()) {
    const query = this.db('hosts').where({ id: hostId });
    if (fault === null)
      await query.update({ bmc_fault: null, bmc_fault_since: null });
    else {
      await query
        .clone()
        .whereNull('bmc_fault_since')
        .update({ bmc_fault_since: now });
      await query.update({ bmc_fault: fault.slice(0, 500) });
    }
  }

  async setAgentSilent(hostId: string, since: Date | null) {
    const query = this.db('hosts').where({ id: hostId });
    if (since === null) await query.update({ agent_silent_since: null });
    else
      await query
        .whereNull('agent_silent_since')
        .update({ agent_silent_since: since });
  }

  async setEmptySince(hostId: string, since: Date | null) {
    const query = this.db('hosts').where({ id: hostId });
    if (since === null)
      await query.whereNotNull('empty_since').update({ empty_since: null });
    else await query.whereNull('empty_since').update({ empty_since: since });
  }

  async recordDecision(
    decision: Omit<PowerDecision, 'id' | 'decidedAt'> & { decidedAt?: Date },
  ): Promise<void> {
    await this.db('power_decisions').insert({
      host_id: decision.hostId,
      host_name: decision.hostName,
      decided_at: decision.decidedAt ?? new Date(),
      actor: decision.actor,
      action: decision.action,
      reason: decision.reason.slice(0, 2000),
      outcome: decision.outcome,
      watts: decision.watts ?? null,
    });
  }

  /** The newest decisions first, for these hosts (or all). */
  async decisions(
    filter: { hostIds?: string[]; limit?: number } = {},
  ): Promise<PowerDecision[]> {
    const query = this.db('power_decisions')
      .orderBy([
        { column: 'decided_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(filter.limit ?? 50);
    if (filter.hostIds) query.whereIn('host_id', filter.hostIds);
    return (await query).map((row: any) => ({
      id: Number(row.id),
      hostId: row.host_id,
      hostName: row.host_name,
      decidedAt: iso(row.decided_at),
      actor: row.actor,
      action: row.action,
      reason: row.reason,
      outcome: row.outcome,
      ...(row.watts === null ? {} : { watts: Number(row.watts) }),
    }));
  }

  /** Each host's newest drain since a time: when, and whether its moves started. */
  async latestDrains(
    since: Date,
  ): Promise<Map<string, { decidedAt: string; outcome: 'done' | 'failed' }>> {
    const rows = await this.db('power_decisions')
      .where({ action: 'drain' })
      .andWhere('decided_at', '>=', since)
      .orderBy([
        { column: 'decided_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .select('host_id', 'decided_at', 'outcome');
    return new Map(
      rows.map((row: any) => [
        row.host_id,
        { decidedAt: iso(row.decided_at), outcome: row.outcome },
      ]),
    );
  }

  /** Readings since a time, oldest first, at most `limit` (evenly thinned when more). */
  async readings(
    hostId: string,
    since: Date,
    limit = 500,
  ): Promise<PowerReading[]> {
    const rows = await this.db('host_power_readings')
      .where({ host_id: hostId })
      .andWhere('read_at', '>=', since)
      .orderBy('read_at')
      .select('watts', 'read_at');
    const step = Math.max(1, Math.ceil(rows.length / limit));
    return rows
      .filter((_, i) => i % step === 0 || i === rows.length - 1)
      .map(row => ({ watts: Number(row.watts), readAt: iso(row.read_at) }));
  }

  /**
   * Energy consolidation saved on a host: each off it decided, times the draw
   * before it, until the host next came on (or now).
   */
  async energySavedKwh(hostId: string, now = new Date()): Promise<number> {
    const rows = await this.db('power_decisions')
      .where({ host_id: hostId, outcome: 'done' })
      .whereIn('action', ['on', 'off', 'cycle', 'drift'])
      .orderBy([
        { column: 'decided_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    let wattHours = 0;
    let offAt: { at: number; watts: number } | undefined;
    for (const row of rows) {
      const at = new Date(row.decided_at).getTime();
      if (offAt) {
        wattHours += (offAt.watts * (at - offAt.at)) / 3_600_000;
        offAt = undefined;
      }
      if (
        row.action === 'off' &&
        row.actor === 'power-loop' &&
        row.watts !== null
      )
        offAt = { at, watts: Number(row.watts) };
    }
    if (offAt)
      wattHours += (offAt.watts * (now.getTime() - offAt.at)) / 3_600_000;
    return Math.round(wattHours) / 1000;
  }

  /** Bounded retention: readings and decisions older than these go. */
  async prune(readingsBefore: Date, decisionsBefore: Date): Promise<number> {
    const readings = await this.db('host_power_readings')
      .where('read_at', '<', readingsBefore)
      .delete();
    const decisions = await this.db('power_decisions')
      .where('decided_at', '<', decisionsBefore)
      .delete();
    return readings + decisions;
  }
}
