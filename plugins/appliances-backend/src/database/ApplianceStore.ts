import { Knex } from 'knex';
import { ApplianceDisk, ApplianceVariable } from '../channels/types';
import { SignatureState } from '../channels/verifySignature';

/** An appliance as stored: one definition from one channel. */
export type StoredAppliance = {
  id: string;
  channelId: string;
  provides: string;
  version: string;
  label: string;
  description: string;
  sizeMb: number;
  imageUrl: string;
  signatureUrl?: string;
  signatureState: SignatureState;
  signatureDigest?: string;
  webpanel?: string;
  cpus: number;
  memoryKib: number;
  ostype: string;
  disks: ApplianceDisk[];
  dependencies: { name: string; version?: string }[];
  variables: ApplianceVariable[];
  definitionUrl: string;
  itemName: string;
  ingestedAt: string;
};

/** The least needed to mark the newest versions and resolve dependencies. */
export type ApplianceKey = Pick<
  StoredAppliance,
  'id' | 'channelId' | 'provides' | 'version' | 'signatureState'
>;

export type ApplianceQuery = {
  q?: string;
  ostype?: string;
  provides?: string;
  channel?: string;
  offset: number;
  limit: number;
};

type ApplianceRow = {
  id: string;
  channel_id: string;
  provides: string;
  version: string;
  label: string;
  description: string;
  size_mb: number;
  image_url: string;
  signature_url: string | null;
  signature_state: SignatureState;
  signature_digest: string | null;
  webpanel: string | null;
  cpus: number;
  memory_kib: number | string;
  ostype: string;
  disks: string;
  dependencies: string;
  variables: string;
  definition_url: string;
  item_name: string;
  ingested_at: string | Date;
};

function toStored(row: ApplianceRow): StoredAppliance {
  return {
    id: row.id,
    channelId: row.channel_id,
    provides: row.provides,
    version: row.version,
    label: row.label,
    description: row.description,
    sizeMb: row.size_mb,
    imageUrl: row.image_url,
    signatureUrl: row.signature_url ?? undefined,
    signatureState: row.signature_state,
    signatureDigest: row.signature_digest ?? undefined,
    webpanel: row.webpanel ?? undefined,
    cpus: row.cpus,
    memoryKib: Number(row.memory_kib),
    ostype: row.ostype,
    disks: JSON.parse(row.disks),
    dependencies: JSON.parse(row.dependencies),
    variables: JSON.parse(row.variables),
    definitionUrl: row.definition_url,
    itemName: row.item_name,
    ingestedAt: new Date(row.ingested_at).toISOString(),
  };
}

function toRow(a: StoredAppliance): ApplianceRow {
  return {
    id: a.id,
    channel_id: a.channelId,
    provides: a.provides,
    version: a.version,
    label: a.label,
    description: a.description,
    size_mb: a.sizeMb,
    image_url: a.imageUrl,
    signature_url: a.signatureUrl ?? null,
    signature_state: a.signatureState,
    signature_digest: a.signatureDigest ?? null,
    webpanel: a.webpanel ?? null,
    cpus: a.cpus,
    memory_kib: a.memoryKib,
    ostype: a.ostype,
    disks: JSON.stringify(a.disks),
    dependencies: JSON.stringify(a.dependencies),
    variables: JSON.stringify(a.variables),
    definition_url: a.definitionUrl,
    item_name: a.itemName,
    ingested_at: new Date(a.ingestedAt),
  };
}

// Keeps each INSERT under SQLite's bound-parameter limit (21 columns a row).
const INSERT_CHUNK = 40;

/** Appliances ingested from channel feeds, in the plugin's database. */
export class ApplianceStore {
  constructor(private readonly db: Knex) {}

  /** Replaces everything a channel published; run inside the ingest transaction. */
  async replaceChannel(
    trx: Knex,
    channelId: string,
    appliances: StoredAppliance[],
  ) {
    await trx('appliances').where({ channel_id: channelId }).delete();
    for (let i = 0; i < appliances.length; i += INSERT_CHUNK) {
      await trx('appliances').insert(
        appliances.slice(i, i + INSERT_CHUNK).map(toRow),
      );
    }
  }

  async listByChannel(channelId: string): Promise<StoredAppliance[]> {
    const rows = await this.db<ApplianceRow>('appliances')
      .where({ channel_id: channelId })
      .orderBy('id');
    return rows.map(toStored);
  }

  async get(id: string): Promise<StoredAppliance | undefined> {
    const row = await this.db<ApplianceRow>('appliances').where({ id }).first();
    return row ? toStored(row) : undefined;
  }

  async listKeys(): Promise<ApplianceKey[]> {
    const rows = await this.db<ApplianceRow>('appliances').select(
      'id',
      'channel_id',
      'provides',
      'version',
      'signature_state',
    );
    return rows.map(r => ({
      id: r.id,
      channelId: r.channel_id,
      provides: r.provides,
      version: r.version,
      signatureState: r.signature_state,
    }));
  }

  async query(
    query: ApplianceQuery,
  ): Promise<{ items: StoredAppliance[]; totalCount: number }> {
    const base = this.db<ApplianceRow>('appliances');
    if (query.channel) base.where('channel_id', query.channel);
    if (query.ostype) base.where('ostype', query.ostype);
    if (query.provides) base.where('provides', query.provides);
    if (query.q) {
      const like = `%${query.q.toLowerCase().replace(/[\\%_]/g, m => `\\${m}`)}%`;
      base.where(inner => {
        for (const column of ['label', 'description', 'provides', 'id']) {
          inner.orWhereRaw(`lower(??) like ? escape '\\'`, [column, like]);
        }
      });
    }
    const [{ count }] = await base
      .clone()
      .clearSelect()
      .clearOrder()
      .count({ count: '*' });
    const rows = await base
      .orderBy([
        { column: 'label', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .offset(query.offset)
      .limit(query.limit);
    return { items: rows.map(toStored), totalCount: Number(count) };
  }

  async count(): Promise<number> {
    const [{ count }] = await this.db('appliances').count({ count: '*' });
    return Number(count);
  }

  /** The distinct values of a filterable column, sorted. */
  async distinct(
    column: 'ostype' | 'provides' | 'channel_id',
  ): Promise<string[]> {
    const rows = await this.db('appliances').distinct(column).orderBy(column);
    return rows.map((r: Record<string, string>) => r[column]);
  }
}
