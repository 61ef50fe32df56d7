import { Knex } from 'knex';
import { AccountStore } from './AccountStore';

/** A chargeable stretch of one instance: storage or one run. */
export type Segment = {
  instanceId: string;
  kind: 'storage' | 'running';
  startMs: number;
  endMs?: number;
  periodMs: number;
  priceMinor: number;
};

type InstanceRow = {
  id: string;
  owner: string;
  cost_center: string | null;
  host_id: string | null;
  state: string;
  started_at: Date | string | number | null;
  priced_at: Date | string | number | null;
  running_price_minor: number | string | null;
  running_period_seconds: number | null;
  storage_price_minor: number | string | null;
  storage_period_seconds: number | null;
  updated_at: Date | string | number;
};

type EventRow = {
  id: number | string;
  instance_id: string;
  at: Date | string | number;
  to_state: string;
};

const ms = (v: Date | string | number) => new Date(v).getTime();

/** A state in which a running segment goes on: started, or being moved live. */
const runsOn = (state: string) => state === 'started' || state === 'migrating';

/**
 * The chargeable segments of an instance from its row and its history:
 * storage from placement (when prices were locked) until deleted; running
 * from each move into `started` until the next move out of it, except into
 * `migrating`: a running instance moves live and runs on meanwhile.
 */
export function segmentsOf(row: InstanceRow, events: EventRow[]): Segment[] {
  if (row.priced_at === null || row.running_price_minor === null) return [];
  const pricedAt = ms(row.priced_at);
  const deleted = events.find(
    e => e.to_state === 'deleted' && ms(e.at) >= pricedAt,
  );
  let storageEnd: number | undefined;
  if (deleted) storageEnd = ms(deleted.at);
  else if (row.state === 'deleted') storageEnd = ms(row.updated_at);
  const segments: Segment[] = [
    {
      instanceId: row.id,
      kind: 'storage',
      startMs: pricedAt,
      ...(storageEnd !== undefined ? { endMs: storageEnd } : {}),
      periodMs: row.storage_period_seconds! * 1000,
      priceMinor: Number(row.storage_price_minor),
    },
  ];
  const running = (startMs: number, endMs?: number) =>
    segments.push({
      instanceId: row.id,
      kind: 'running',
      startMs,
      ...(endMs !== undefined ? { endMs } : {}),
      periodMs: row.running_period_seconds! * 1000,
      priceMinor: Number(row.running_price_minor),
    });
  let open: number | undefined;
  let last = -Infinity;
  for (const e of events) {
    const at = ms(e.at);
    last = Math.max(last, at);
    if (at < pricedAt) continue;
    if (e.to_state === 'started' && open === undefined) open = at;
    else if (!runsOn(e.to_state) && open !== undefined) {
      running(open, at);
      open = undefined;
    }
  }
  if (open !== undefined) {
    // The row moved on without an event (yet): it ended when the row last changed.
    running(open, runsOn(row.state) ? undefined : ms(row.updated_at));
  } else if (row.state === 'started' && row.started_at !== null) {
    // Started without an event of it: from when the row says.
    const startedAt = ms(row.started_at);
    if (startedAt > last && startedAt >= pricedAt) running(startedAt);
  }
  return segments;
}

/**
 * Reads the instances' change feed (instance_events, the rows instance code
 * writes as it changes state) and keeps billing_segments in step. Every
 * write is idempotent, so rereading events (ids can commit out of order, or
 * a replica can die midway) changes nothing twice.
 */
export class SegmentFeed {
  constructor(
    private readonly db: Knex,
    private readonly accounts: AccountStore,
    private readonly options: { rereadMs?: number } = {},
  ) {}

  async ingest(now: number): Promise<number> {
    const cursor = Number(
      (await this.db('billing_feed').where({ id: 'events' }).first())
        .last_event_id,
    );
    const { max } = (await this.db('instance_events')
      .max({ max: 'id' })
      .first()) as { max: number | string | null };
    const upTo = max === null ? 0 : Number(max);
    const since = new Date(now - (this.options.rereadMs ?? 120_000));
    const changed = await this.db('instance_events')
      .whereNotNull('to_state')
      .andWhere(q => q.where('id', '>', cursor).orWhere('at', '>=', since))
      .distinct('instance_id');
    const unbilled = await this.db('instances as i')
      .whereNotNull('i.priced_at')
      .whereNotExists(q =>
        q
          .select(this.db.raw('1'))
          .from('billing_segments as s')
          .whereRaw('s.instance_id = i.id')
          .andWhere('s.kind', 'storage'),
      )
      .select('i.id');
    const ids = [
      ...new Set([
        ...changed.map(r => r.instance_id as string),
        ...unbilled.map(r => r.id as string),
      ]),
    ];
    for (let i = 0; i < ids.length; i += 500) {
      await this.rebuild(ids.slice(i, i + 500));
    }
    if (upTo > cursor) {
      await this.db('billing_feed')
        .where({ id: 'events' })
        .andWhere('last_event_id', '<', upTo)
        .update({ last_event_id: upTo });
    }
    return ids.length;
  }

  /** Brings the segments of `instanceIds` in line with their history. */
  async rebuild(instanceIds: string[]): Promise<void> {
    const rows: InstanceRow[] = await this.db('instances')
      .whereIn('id', instanceIds)
      .whereNotNull('priced_at')
      .select(
        'id',
        'owner',
        'cost_center',
        'host_id',
        'state',
        'started_at',
        'priced_at',
        'running_price_minor',
        'running_period_seconds',
        'storage_price_minor',
        'storage_period_seconds',
        'updated_at',
      );
    if (!rows.length) return;
    const events: EventRow[] = await this.db('instance_events')
      .whereIn(
        'instance_id',
        rows.map(r => r.id),
      )
      .whereNotNull('to_state')
      .orderBy('id')
      .select('id', 'instance_id', 'at', 'to_state');
    const eventsOf = new Map<string, EventRow[]>();
    for (const e of events) {
      const list = eventsOf.get(e.instance_id) ?? [];
      list.push(e);
      eventsOf.set(e.instance_id, list);
    }
    const hostIds = [...new Set(rows.map(r => r.host_id).filter(Boolean))];
    const hostOwners = new Map<string, string>(
      (
        await this.db('hosts')
          .whereIn('id', hostIds as string[])
          .select('id', 'owner')
      ).map(h => [h.id, h.owner]),
    );
    const payerOf = (r: InstanceRow) => r.cost_center ?? r.owner;
    const payeeOf = (r: InstanceRow) =>
      (r.host_id && hostOwners.get(r.host_id)) ?? r.owner;
    const accounts = await this.accounts.ensureMany([
      ...rows.map(payerOf),
      ...rows.map(payeeOf),
    ]);
    const accountOf = new Map(accounts.map(a => [a.owner, a.id]));

    const wanted = rows.flatMap(r =>
      segmentsOf(r, eventsOf.get(r.id) ?? []).map(s => ({
        ...s,
        payer: accountOf.get(payerOf(r))!,
        payee: accountOf.get(payeeOf(r))!,
      })),
    );
    const existing = await this.db('billing_segments')
      .whereIn(
        'instance_id',
        rows.map(r => r.id),
      )
      .select('instance_id', 'kind', 'start_ms', 'end_ms');
    const key = (i: string, k: string, s: number) => `${i}|${k}|${s}`;
    const have = new Map(
      existing.map(s => [
        key(s.instance_id, s.kind, Number(s.start_ms)),
        s.end_ms === null ? undefined : Number(s.end_ms),
      ]),
    );
    const fresh = wanted.filter(
      s => !have.has(key(s.instanceId, s.kind, s.startMs)),
    );
    for (let i = 0; i < fresh.length; i += 200) {
      await this.db('billing_segments')
        .insert(
          fresh.slice(i, i + 200).map(s => ({
            instance_id: s.instanceId,
            kind: s.kind,
            start_ms: s.startMs,
            end_ms: s.endMs ?? null,
            period_ms: s.periodMs,
            price_minor: s.priceMinor,
            payer_account_id: s.payer,
            payee_account_id: s.payee,
            next_k: 0,
            next_due_ms: s.startMs,
          })),
        )
        .onConflict(['instance_id', 'kind', 'start_ms'])
        .ignore();
    }
    // An end, once known, never moves.
    for (const s of wanted) {
      const k = key(s.instanceId, s.kind, s.startMs);
      if (s.endMs === undefined || !have.has(k) || have.get(k) !== undefined)
        continue;
      await this.db('billing_segments')
        .where({ instance_id: s.instanceId, kind: s.kind, start_ms: s.startMs })
        .whereNull('end_ms')
        .update({ end_ms: s.endMs });
    }
  }
}
