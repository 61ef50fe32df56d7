import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

/** At most this many periods of one segment are charged per pass (billing_numbers holds 0..1023). */
export const MAX_PERIODS_PER_PASS = 1024;

export type ChargeOptions = {
  now: number;
  /** Segments per statement. */
  batchSize?: number;
  /** Platform fee in basis points of each charge (100 = 1 %). */
  feeBasisPoints?: number;
  platformAccountId?: string;
  /** Called between the statements of a batch; throwing rolls the batch back (kill tests). */
  between?: (step: ChargeStep) => void;
};

/** The statements of a batch, in order; `between` hears each one's end ('begin' before the first). */
export type ChargeStep =
  'begin' | 'transactions' | 'postings' | 'balances' | 'segments';

export type ChargeResult = { charged: number; batches: number };

/**
 * Charges every due period of every segment with set-based statements, one
 * per step and batch of segments, in one database transaction per batch:
 * transactions (a period already charged conflicts on the unique key and is
 * skipped), their postings (payer debit, payee credit, platform fee), the
 * balances, and the segments' next due period. A batch that dies midway
 * leaves nothing; one run twice, or by two replicas at once, charges once.
 */
export async function chargeDuePeriods(
  db: Knex,
  options: ChargeOptions,
): Promise<ChargeResult> {
  const batchSize = options.batchSize ?? 20_000;
  const bp = options.feeBasisPoints ?? 0;
  if (bp && !options.platformAccountId) {
    throw new Error('A platform fee needs a platform account');
  }
  const now = options.now;
  let charged = 0;
  let batches = 0;
  // Segments behind by more than MAX_PERIODS_PER_PASS need another pass.
  for (let pass = 0; pass < 1000; pass++) {
    let afterId = 0;
    let any = false;
    for (;;) {
      const boundary = await db('billing_segments')
        .where('next_due_ms', '<=', now)
        .andWhere('id', '>', afterId)
        .orderBy('id')
        .offset(batchSize - 1)
        .first('id');
      const upTo = boundary ? Number(boundary.id) : Number.MAX_SAFE_INTEGER;
      const from = afterId;
      const n = await db.transaction(trx =>
        chargeBatch(trx, { ...options, now, bp }, from, upTo),
      );
      batches++;
      if (n.segments) any = true;
      charged += n.charged;
      if (!boundary) break;
      afterId = upTo;
    }
    if (!any) break;
    const behind = await db('billing_segments')
      .where('next_due_ms', '<=', now)
      .first('id');
    if (!behind) break;
  }
  return { charged, batches };
}

async function chargeBatch(
  trx: Knex.Transaction,
  o: ChargeOptions & { bp: number },
  afterId: number,
  upTo: number,
): Promise<{ charged: number; segments: number }> {
  const batchId = randomUUID();
  if (trx.client.config.client === 'pg') {
    // The planner overestimates the period join; compiling it (JIT) cost more than running it.
    await trx.raw('SET LOCAL jit = off');
  }
  // This batch's rows are the ones after the newest id now, with its batch id (no index needed).
  const { max } = (await trx('billing_transactions')
    .max({ max: 'id' })
    .first()) as { max: number | string | null };
  const mine = `id > ${int(Number(max ?? 0))} AND batch_id = ?`;
  o.between?.('begin');
  // Whole numbers from this code, written as literals: integer arithmetic on both databases.
  const now = int(o.now);
  const range = `s.id > ${int(afterId)} AND s.id <= ${int(upTo)}`;
  const periodStart = '(s.start_ms + (s.next_k + n.k) * s.period_ms)';
  // price * bp / 10000 without passing 2^63 for prices up to 2^53.
  const fee = `((s.price_minor / 10000) * ${o.bp} + ((s.price_minor % 10000) * ${o.bp}) / 10000)`;
  await trx.raw(
    `INSERT INTO billing_transactions
       (kind, instance_id, period_start_ms, period_ms, amount_minor, fee_minor,
        payer_account_id, payee_account_id, batch_id, created_at_ms)
     SELECT s.kind, s.instance_id, ${periodStart}, s.period_ms, s.price_minor, ${fee},
            s.payer_account_id, s.payee_account_id, ?, ${now}
       FROM billing_segments s CROSS JOIN billing_numbers n
      WHERE s.next_due_ms <= ${now} AND ${range}
        AND n.k < ${MAX_PERIODS_PER_PASS}
        AND n.k <= (${now} - s.next_due_ms) / s.period_ms
        AND ${periodStart} <= ${now}
        AND (s.end_ms IS NULL OR ${periodStart} < s.end_ms)
      ORDER BY s.id, n.k
     ON CONFLICT (instance_id, kind, period_start_ms) DO NOTHING`,
    [batchId],
  );
  o.between?.('transactions');
  await trx.raw(
    `INSERT INTO billing_postings (transaction_id, account_id, amount_minor)
     SELECT id, payer_account_id, -amount_minor FROM billing_transactions WHERE ${mine}
     UNION ALL
     SELECT id, payee_account_id, amount_minor - fee_minor FROM billing_transactions WHERE ${mine}
     UNION ALL
     SELECT id, CAST(? AS VARCHAR(36)), fee_minor FROM billing_transactions WHERE ${mine} AND fee_minor > 0`,
    [batchId, batchId, o.platformAccountId ?? '', batchId],
  );
  o.between?.('postings');
  // The same amounts as the postings just written, read from the batch's own rows.
  await trx.raw(
    `UPDATE billing_accounts SET balance_minor = balance_minor + d.delta
       FROM (SELECT account_id, SUM(amount) AS delta FROM (
               SELECT payer_account_id AS account_id, -amount_minor AS amount FROM billing_transactions WHERE ${mine}
               UNION ALL
               SELECT payee_account_id, amount_minor - fee_minor FROM billing_transactions WHERE ${mine}
               UNION ALL
               SELECT CAST(? AS VARCHAR(36)), fee_minor FROM billing_transactions WHERE ${mine} AND fee_minor > 0
             ) AS lines GROUP BY account_id) AS d
      WHERE billing_accounts.id = d.account_id`,
    [batchId, batchId, o.platformAccountId ?? '', batchId],
  );
  o.between?.('balances');
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
  o.between?.('segments');
  const [{ count }] = await trx('billing_transactions')
    .whereRaw(mine, [batchId])
    .count({ count: '*' });
  return { charged: Number(count), segments: affectedRows(segments) };
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
