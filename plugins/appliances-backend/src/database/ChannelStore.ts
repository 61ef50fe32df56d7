import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';

export type ChannelSource = 'config' | 'api';

export type ChannelRecord = {
  id: string;
  url: string;
  owner: string;
  trustedKeys: string[];
  refreshMinutes?: number;
  source: ChannelSource;
  createdAt: string;
};

type ChannelRow = {
  id: string;
  url: string;
  owner: string;
  trusted_keys: string;
  refresh_minutes: number | null;
  source: ChannelSource;
  created_at: string | Date;
};

function toRecord(row: ChannelRow): ChannelRecord {
  return {
    id: row.id,
    url: row.url,
    owner: row.owner,
    trustedKeys: JSON.parse(row.trusted_keys),
    refreshMinutes: row.refresh_minutes ?? undefined,
    source: row.source,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Subscribed channels, in the plugin's database. */
export class ChannelStore {
  constructor(private readonly db: Knex) {}

  async list(): Promise<ChannelRecord[]> {
    const rows = await this.db<ChannelRow>('channels').orderBy('id');
    return rows.map(toRecord);
  }

  async get(id: string): Promise<ChannelRecord | undefined> {
    const row = await this.db<ChannelRow>('channels').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async create(
    channel: Omit<ChannelRecord, 'createdAt'>,
  ): Promise<ChannelRecord> {
    const row = {
      id: channel.id,
      url: channel.url,
      owner: channel.owner,
      trusted_keys: JSON.stringify(channel.trustedKeys),
      refresh_minutes: channel.refreshMinutes ?? null,
      source: channel.source,
    };
    if (await this.get(channel.id)) {
      throw new ConflictError(`Channel '${channel.id}' already exists`);
    }
    try {
      await this.db<ChannelRow>('channels').insert(row);
    } catch (e) {
      // Lost a race with another writer of the same id.
      if (await this.get(channel.id)) {
        throw new ConflictError(`Channel '${channel.id}' already exists`);
      }
      throw e;
    }
    const stored = (await this.get(channel.id))!;
    return stored;
  }

  async count(): Promise<number> {
    const [{ count }] = await this.db('channels').count({ count: '*' });
    return Number(count);
  }
}
