import { Knex } from 'knex';
import { InstanceRow, toInstance } from '../instances/toInstance';
import { ParkedInstance } from './planDrains';

/** What drains read of instances: the stopped ones on hosts, and the hosts kept busy. */
export class DrainQueries {
  constructor(private readonly db: Knex) {}

  /** Stopped and stored instances on hosts, which a drain may move. */
  async listParked(): Promise<ParkedInstance[]> {
    const rows = await this.db<InstanceRow>('instances')
      .whereIn('state', ['stopped', 'stored'])
      .whereNotNull('host_id')
      .whereNull('pending_action');
    return rows.map(toInstance).map(i => ({
      id: i.id,
      hostname: i.hostname,
      hostId: i.hostId!,
      size: i.size,
      version: i.version,
      updatedAt: i.updatedAt,
    }));
  }

  /** Hosts with an instance that runs, is suspended, or is being worked on. */
  async busyHostIds(): Promise<Set<string>> {
    const rows: { host_id: string }[] = await this.db('instances')
      .whereNotNull('host_id')
      .andWhere(q =>
        q
          .whereNotIn('state', ['stopped', 'stored', 'deleted', 'error'])
          .orWhereNotNull('pending_action'),
      )
      .distinct('host_id');
    return new Set(rows.map(r => r.host_id));
  }
}
