import { Knex } from 'knex';
import { isUniqueViolation } from './isUniqueViolation';

/** At most this many periods of one segment are charged per pass (billing_numbers holds 0..1023). */
export const MAX_PERIODS_PER_PASS = 1024;

export type ChargeOptions = {
  now: number;
  /** Segment ids per batch (one database transaction). */
  batchSize?: number;
  /** Batches charged at once, each on its own connection (PostgreSQL only; default 2). */
  concurrency?: number;
  /** Platform fee in basis points of each charge (100 = 1 %). */
  feeBasisPoints?: number;
  platformAccountId?: string;
  /** Called between the statements of a batch; throwing rolls the batch back (kill tests). */
  between?: (step: ChargeStep, batch: number) => void;
};

/** The statements of a batch; `between` hears each one's end ('begin' before the first). */
export type ChargeStep =
  'begin' | 'transactions' | 'postings' | 'balances' | 'segments';

export type ChargeResult = { charged: number; batches: number };

/**
 * Charges every due period of every segment, set-based, in one database
 * transaction per batch (a range of segment ids): the transactions (a period
 * already charged conflicts on the unique (instance, kind, period) key and is
 * skipped), their postings (payer debit, payee credit, platform fee), the
 * balances, and the segments' next due period. A batch that dies midway
 * leaves nothing; one run twice, or by two replicas at once, charges once.
 */
export async function chargeDuePeriods(
  db: Knex,
  options: ChargeOptions,
): Promise<ChargeResult> {
  const batchSize = options.batchSize ?? 50_000;
  const bp = options.feeBasisPoints ?? 0;
  if (bp && !options.platformAccountId) {
    throw new Error('A platform fee needs a platform account');
  }
  const now = options.now;
  const o = { ...options, now, bp };
  let charged = 0;
  let batches = 0;
  // Segments behind by more than MAX_PERIODS_PER_PASS need another pass.
  for (let pass = 0; pass < 1000; pass++) {
    // Ranges of ids rather than counted batches: no statement to find each boundary.
    const { max } = (await db('billing_segments')
      .max({ max: 'id' })
      .first()) as { max: number | string | null };
    const last = Number(max ?? 0);
    const ranges: Array<[number, number]> = [];
    for (let from = 0; from < last; from += batchSize) {
      ranges.push([from, Math.min(from + batchSize, last)]);
    }
    const n = await chargeRanges(db, o, ranges);
    batches += ranges.length;
    charged += n.charged;
    if (!n.segments) break;
    const behind = await db('billing_segments')
      .where('next_due_ms', '<=', now)
      .first('id');
    if (!behind) break;
  }
  return { charged, batches };
}

/**
 * Charges the ranges, a few at a time on PostgreSQL. Batches cover disjoint
 * segments, so they write disjoint rows but for the balances, which each
 * takes last, in account order.
 */
async function chargeRanges(
  db: Knex,
  o: BatchOptions,
  ranges: Array<[number, number]>,
): Promise<{ charged: number; segments: number }> {
  const todo = [...ranges];
  const total = { charged: 0, segments: 0 };
  const workers = db.client.config.client === 'pg' ? (o.concurrency ?? 2) : 1;
  const work = async () => {
    for (let r = todo.shift(); r; r = todo.shift()) {
      const [from, upTo] = r;
      const batch = (skipCharged: boolean) =>
        db.transaction(trx =>
          chargeBatch(trx, { ...o, batch: from, skipCharged }, from, upTo),
        );
      let n: { charged: number; segments: number };
      try {
        // PostgreSQL: a plain insert first. Its unique key still refuses a
        // period charged before (another replica's batch just committed, or
        // a segment behind its ledger): then the batch rolls back and runs
        // again skipping such periods.
        n = await batch(false);
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        n = await batch(true);
      }
      total.segments += n.segments;
      total.charged += n.charged;
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, workers) }, work),
  );
  const failed = results.find(r => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return total;
}

type BatchOptions = ChargeOptions & {
  bp: number;
  batch?: number;
  /** Skip periods charged before (ON CONFLICT DO NOTHING) rather than fail on them. */
  skipCharged?: boolean;
};

const hear = (o: BatchOptions, step: ChargeStep) =>
  o.between?.(step, o.batch ?? 0);

async function chargeBatch(
  trx: Knex.Transaction,
  o: BatchOptions,
  afterId: number,
  upTo: number,
): Promise<{ charged: number; segments: number }> {
  hear(o, 'begin');
  // Whole numbers from this code, written as literals: integer arithmetic on both databases.
  const now = int(o.now);
  const range = `s.id > ${int(afterId)} AND s.id <= ${int(upTo)}`;
  const periodStart = '(s.start_ms + (s.next_k + n.k) * s.period_ms)';
  // price * bp / 10000 without passing 2^63 for prices up to 2^53.
  const fee = `((s.price_minor / 10000) * ${o.bp} + ((s.price_minor % 10000) * ${o.bp}) / 10000)`;
  const pg = trx.client.config.client === 'pg';
  // The due period indexes of each segment: PostgreSQL generates them (no
  // index probe per segment); SQLite joins the table of numbers.
  const periods = pg
    ? `CROSS JOIN LATERAL generate_series(0, LEAST(${MAX_PERIODS_PER_PASS - 1}, (${now} - s.next_due_ms) / s.period_ms)) AS n (k)
      WHERE`
    : `CROSS JOIN billing_numbers n
      WHERE n.k < ${MAX_PERIODS_PER_PASS}
        AND n.k <= (${now} - s.next_due_ms) / s.period_ms
        AND`;
  // Every due period of the range's segments, in the unique key's order so
  // that its index is written page after page rather than at random (byte
  // order: the same for the ASCII ids, and a sort that compares abbreviated
  // keys on PostgreSQL rather than calling the locale per comparison). The
  // segments are read by id first (OFFSET 0 keeps PostgreSQL from walking
  // the whole unique index in key order instead, filtering out other batches).
  const due = `SELECT s.kind, s.instance_id, ${periodStart}, s.period_ms, s.price_minor, ${fee},
            s.payer_account_id, s.payee_account_id, ${now}
       FROM (SELECT * FROM billing_segments s
              WHERE s.next_due_ms <= ${now} AND ${range}${pg ? ' OFFSET 0' : ''}) AS s
            ${periods} ${periodStart} <= ${now}
        AND (s.end_ms IS NULL OR ${periodStart} < s.end_ms)
      ORDER BY ${pg ? 's.instance_id COLLATE "C", s.kind COLLATE "C"' : 's.instance_id, s.kind'}, n.k`;
  // A plain insert costs PostgreSQL less than ON CONFLICT (no probe of the
  // key before each row, no speculative insertion to confirm); the key
  // refuses a period charged twice either way (see chargeRanges).
  const skip = !pg || o.skipCharged;
  const insert = `INSERT INTO billing_transactions
       (kind, instance_id, period_start_ms, period_ms, amount_minor, fee_minor,
        payer_account_id, payee_account_id, created_at_ms)
     ${due}
     ${skip ? 'ON CONFLICT (instance_id, kind, period_start_ms) DO NOTHING' : ''}`;
  const platform = o.platformAccountId ?? '';
  let deltas: AccountDelta[] = [];
  let charged: number;
  if (pg) ({ charged, deltas } = await chargePg(trx, o, insert, platform));
  else charged = await chargeStatementByStatement(trx, o, insert, platform);
  // The next period to charge: the first one after now, or none past the end.
  const reached = `((${now} - start_ms) / period_ms + 1)`;
  const nextK = `(CASE WHEN ${reached} < next_k + ${MAX_PERIODS_PER_PASS} THEN ${reached} ELSE next_k + ${MAX_PERIODS_PER_PASS} END)`;
  const segments = await trx.raw(
    `UPDATE billing_segments
        SET next_k = ${nextK},
            next_due_ms = CASE WHEN end_ms IS NOT NULL AND start_ms + ${nextK} * period_ms >= end_ms
                               THEN NULL ELSE start_ms + ${nextK} * period_ms END
      WHERE next_due_ms <= ${now} AND ${range.replace(/s\.id/g, 'id')}`,
  );
  hear(o, 'segments');
  if (pg) {
    await addToBalances(trx, deltas);
    hear(o, 'balances');
  }
  return { charged, segments: affectedRows(segments) };
}

type AccountDelta = { account_id: string; delta: string | number };

/**
 * PostgreSQL: one statement writes the transactions and their postings from
 * what the insert returned, and answers what each account's balance moves.
 */
async function chargePg(
  trx: Knex.Transaction,
  o: BatchOptions,
  insert: string,
  platform: string,
): Promise<{ charged: number; deltas: AccountDelta[] }> {
  // The planner overestimates the period join; compiling it (JIT) cost more than running it.
  await trx.raw('SET LOCAL jit = off');
  // The returned rows and the sorts stay in memory.
  await trx.raw(`SET LOCAL work_mem = '64MB'`);
  const result = await trx.raw(
    `WITH tx AS (
       ${insert}
       RETURNING id, payer_account_id, payee_account_id, amount_minor, fee_minor
     ), lines AS (
       SELECT payer_account_id AS account_id, id, 0 AS line, -amount_minor AS amount FROM tx
       UNION ALL
       SELECT payee_account_id, id, 1, amount_minor - fee_minor FROM tx
       UNION ALL
       SELECT CAST(? AS VARCHAR(36)), id, 2, fee_minor FROM tx WHERE fee_minor > 0
     ), postings AS (
       INSERT INTO billing_postings (account_id, transaction_id, line, amount_minor)
       SELECT account_id, id, line, amount FROM lines
     )
     SELECT account_id, SUM(amount) AS delta,
            (SELECT COUNT(*) FROM tx) AS charged
       FROM lines GROUP BY account_id`,
    [platform],
  );
  // One statement: both steps end together.
  hear(o, 'transactions');
  hear(o, 'postings');
  const rows = result.rows as Array<AccountDelta & { charged: string }>;
  return { charged: rows.length ? Number(rows[0].charged) : 0, deltas: rows };
}

/**
 * Moves the balances by the batch's postings, locking the accounts in id
 * order first: batches and replicas that move the same accounts wait for
 * each other instead of deadlocking.
 */
async function addToBalances(trx: Knex.Transaction, deltas: AccountDelta[]) {
  const sorted = [...deltas].sort((a, b) =>
    a.account_id < b.account_id ? -1 : 1,
  );
  for (let i = 0; i < sorted.length; i += 1000) {
    const chunk = sorted.slice(i, i + 1000);
    const ids = chunk.map(d => d.account_id);
    await trx('billing_accounts')
      .whereIn('id', ids)
      .orderBy('id')
      .forUpdate()
      .select('id');
    await trx.raw(
      `UPDATE billing_accounts SET balance_minor = balance_minor + d.delta
         FROM (VALUES ${chunk.map(() => '(?, CAST(? AS BIGINT))').join(', ')}) AS d (id, delta)
        WHERE billing_accounts.id = d.id`,
      chunk.flatMap(d => [d.account_id, String(d.delta)]),
    );
  }
}

/**
 * SQLite (no data-modifying WITH): a statement per step. It has one writer,
 * so the rows past the newest id at the start are this batch's.
 */
async function chargeStatementByStatement(
  trx: Knex.Transaction,
  o: BatchOptions,
  insert: string,
  platform: string,
): Promise<number> {
  const { max } = (await trx('billing_transactions')
    .max({ max: 'id' })
    .first()) as { max: number | string | null };
  const mine = `id > ${int(Number(max ?? 0))}`;
  await trx.raw(insert);
  hear(o, 'transactions');
  const lines = `SELECT payer_account_id AS account_id, id, 0 AS line, -amount_minor AS amount FROM billing_transactions WHERE ${mine}
       UNION ALL
       SELECT payee_account_id, id, 1, amount_minor - fee_minor FROM billing_transactions WHERE ${mine}
       UNION ALL
       SELECT CAST(? AS VARCHAR(36)), id, 2, fee_minor FROM billing_transactions WHERE ${mine} AND fee_minor > 0`;
  await trx.raw(
    `INSERT INTO billing_postings (account_id, transaction_id, line, amount_minor)
     SELECT account_id, id, line, amount FROM (${lines}) AS lines`,
    [platform],
  );
  hear(o, 'postings');
  // The same amounts as the postings just written, read from the batch's own rows.
  await trx.raw(
    `UPDATE billing_accounts SET balance_minor = balance_minor + d.delta
       FROM (SELECT account_id, SUM(amount) AS delta FROM (${lines}) AS lines
              GROUP BY account_id) AS d
      WHERE billing_accounts.id = d.account_id`,
    [platform],
  );
  hear(o, 'balances');
  const [{ count }] = await trx('billing_transactions')
    .whereRaw(mine)
    .count({ count: '*' });
  return Number(count);
}

/** Rows an UPDATE touched, from knex.raw's answer on PostgreSQL or SQLite. */
function affectedRows(result: any): number {
  if (typeof result?.rowCount === 'number') return result.rowCount;
  if (typeof result?.changes === 'number') return result.changes;
  if (Array.isArray(result)) return result.length;
  return 0;
}

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`Not a whole number: ${n}`);
  return String(n);
}
