import { ConflictError, NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import { ItemError } from '../channels/types';

export type ChannelSource = 'config' | 'api';

export type ChannelFetchResult = 'ok' | 'not-modified' | 'failed';

/** How the channel's last fetch went. */
export type ChannelStatus = {
  title?: string;
  lastFetchAt?: string;
  lastSuccessAt?: string;
  result?: ChannelFetchResult;
  error?: string;
  itemErrors: ItemError[];
};

export type ChannelRecord = {
  id: string;
  url: string;
  owner: string;
  trustedKeys: string[];
  refreshMinutes?: number;
  source: ChannelSource;
  createdAt: string;
  status: ChannelStatus;
};

export type ChannelInput = Omit<ChannelRecord, 'createdAt' | 'status'>;

/** Conditional-request validators kept from the last successful fetch. */
export type ChannelValidators = { etag?: string; lastModified?: string };

type ChannelRow = {
  id: string;
  url: string;
  owner: string;
  trusted_keys: string;
  refresh_minutes: number | null;
  source: ChannelSource;
  created_at: string | Date;
  title: string | null;
  last_fetch_at: string | Date | null;
  last_success_at: string | Date | null;
  last_result: ChannelFetchResult | null;
  last_error: string | null;
  item_errors: string;
  etag: string | null;
  last_modified: string | null;
};

function iso(value: string | Date | null): string | undefined {
  return value === null ? undefined : new Date(value).toISOString();
}

function toRecord(row: ChannelRow): ChannelRecord {
  return {
    id: row.id,
    url: row.url,
    owner: row.owner,
    trustedKeys: JSON.parse(row.trusted_keys),
    refreshMinutes: row.refresh_minutes ?? undefined,
    source: row.source,
    createdAt: new Date(row.created_at).toISOString(),
    status: {
      title: row.title ?? undefined,
      lastFetchAt: iso(row.last_fetch_at),
      lastSuccessAt: iso(row.last_success_at),
      result: row.last_result ?? undefined,
      error: row.last_error ?? undefined,
      itemErrors: JSON.parse(row.item_errors ?? '[]'),
    },
  };
}

/** Subscribed channels and how their last fetch went, in the plugin's database. */
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

  async create(channel: ChannelInput): Promise<ChannelRecord> {
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

  /**
   * Makes the stored config channels match app-config: creates new ones,
   * updates changed ones (forgetting validators so the next fetch is full)
   * and removes config channels no longer configured. API channels with a
   * configured id are taken over by the config.
   */
  async syncConfigChannels(configured: ChannelInput[]): Promise<void> {
    await this.db.transaction(async trx => {
      const existing = await trx<ChannelRow>('channels').select();
      const byId = new Map(existing.map(r => [r.id, r]));
      for (const channel of configured) {
        const row = {
          url: channel.url,
          owner: channel.owner,
          trusted_keys: JSON.stringify(channel.trustedKeys),
          refresh_minutes: channel.refreshMinutes ?? null,
          source: 'config' as const,
        };
        const current = byId.get(channel.id);
        if (!current) {
          await trx('channels').insert({ id: channel.id, ...row });
        } else if (
          current.url !== row.url ||
          current.owner !== row.owner ||
          current.trusted_keys !== row.trusted_keys ||
          current.refresh_minutes !== row.refresh_minutes ||
          current.source !== 'config'
        ) {
          await trx('channels')
            .where({ id: channel.id })
            .update({ ...row, etag: null, last_modified: null });
        }
      }
      const keep = new Set(configured.map(c => c.id));
      const stale = existing
        .filter(r => r.source === 'config' && !keep.has(r.id))
        .map(r => r.id);
      if (stale.length) {
        await trx('appliances').whereIn('channel_id', stale).delete();
        await trx('channels').whereIn('id', stale).delete();
      }
    });
  }

  /** Removes a channel and every appliance it published. */
  async delete(id: string): Promise<void> {
    await this.db.transaction(async trx => {
      await trx('appliances').where({ channel_id: id }).delete();
      const removed = await trx('channels').where({ id }).delete();
      if (!removed) throw new NotFoundError(`No channel '${id}'`);
    });
  }

  async getValidators(id: string): Promise<ChannelValidators> {
    const row = await this.db<ChannelRow>('channels')
      .where({ id })
      .first('etag', 'last_modified');
    return {
      etag: row?.etag ?? undefined,
      lastModified: row?.last_modified ?? undefined,
    };
  }

  /** Records a fetch that changed nothing: unchanged (304) or failed. */
  async recordFetch(
    id: string,
    at: Date,
    outcome: { result: 'not-modified' } | { result: 'failed'; error: string },
    trx: Knex = this.db,
  ): Promise<void> {
    const update: Partial<ChannelRow> = {
      last_fetch_at: at,
      last_result: outcome.result,
    };
    if (outcome.result === 'failed') update.last_error = outcome.error;
    else {
      update.last_error = null;
      update.last_success_at = at;
    }
    await trx<ChannelRow>('channels').where({ id }).update(update);
  }

  /** Records a successful fetch; run in the transaction that stores its appliances. */
  async recordSuccess(
    id: string,
    at: Date,
    success: {
      title: string;
      itemErrors: ItemError[];
      validators: ChannelValidators;
    },
    trx: Knex,
  ): Promise<void> {
    await trx<ChannelRow>('channels')
      .where({ id })
      .update({
        title: success.title || null,
        last_fetch_at: at,
        last_success_at: at,
        last_result: 'ok',
        last_error: null,
        item_errors: JSON.stringify(success.itemErrors),
        etag: success.validators.etag ?? null,
        last_modified: success.validators.lastModified ?? null,
      });
  }

  async count(): Promise<number> {
    const [{ count }] = await this.db('channels').count({ count: '*' });
    return Number(count);
  }
}
