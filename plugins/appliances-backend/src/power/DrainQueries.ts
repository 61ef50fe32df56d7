import { Knex } from 'knex';
import { Instance } from '../instances/Instance';
import { InstanceRow, toInstance } from '../instances/toInstance';
import { HostedInstance } from './planDrains';

function drainStateOf(i: Instance): HostedInstance['state'] {
  if (i.state === 'migrating') return 'moving';
  if (i.pendingAction) return 'pinned';
  if (i.state === 'stopped' || i.state === 'stored') return 'stopped';
  return i.state === 'started' ? 'running' : 'pinned';
}

/** What drains read of instances: every one that holds capacity on a host, and whether it can move. */
export class DrainQueries {
  constructor(private readonly db: Knex) {}

  /**
   * Instances on hosts (not deleted; not in error, which a drain leaves
   * where it is): stopped and stored ones, running ones, those a migration
   * is moving away, and the rest (suspended, or with an action in flight),
   * which pin their host.
   */
  async listHosted(): Promise<HostedInstance[]> {
    const rows = await this.db<InstanceRow>('instances')
      .whereNotNull('host_id')
      .whereNotIn('state', ['deleted', 'error']);
    return rows.map(toInstance).map(i => ({
      id: i.id,
      hostname: i.hostname,
      hostId: i.hostId!,
      size: i.size,
      version: i.version,
      state: drainStateOf(i),
      updatedAt: i.updatedAt,
      ...(i.network ? { network: i.network } : {}),
    }));
  }

  /**
   * The source hosts of the power loop's moves that failed (and were
   * reverted) since then, each with its latest failure: a move can fail
   * after the drain started it (a destination without the instance's network).
   */
  async failedMoves(since: Date): Promise<Map<string, string>> {
    const rows = await this.db('operations')
      .where({ kind: 'migrate', requested_by: 'power-loop', state: 'failed' })
      .andWhere('finished_at', '>=', since)
      .orderBy('finished_at')
      .select('request', 'finished_at');
    return new Map(
      rows.map(row => [
        JSON.parse(row.request).sourceHostId as string,
        new Date(row.finished_at).toISOString(),
      ]),
    );
  }
}
