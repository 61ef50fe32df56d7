import { Knex } from 'knex';
import { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';

/** A ledger line as the API serves it (the spec's LedgerLine). */
export type LedgerLine = AppliancesApiComponents['schemas']['LedgerLine'];

/** An account's ledger lines: its postings with their transactions. */
export class LedgerReader {
  constructor(private readonly db: Knex) {}

  /** The account's postings, newest first; `before` is the last transaction id seen. */
  async read(
    accountId: string,
    page: { limit: number; before?: number },
  ): Promise<LedgerLine[]> {
    const query = this.db('billing_postings as p')
      .join('billing_transactions as t', 't.id', 'p.transaction_id')
      // Deleted instances keep their row (state deleted), so their name stays.
      .leftJoin('instances as i', 'i.id', 't.instance_id')
      .leftJoin(
        'billing_transactions as r',
        'r.reverses_transaction_id',
        't.id',
      )
      .where('p.account_id', accountId)
      .orderBy('p.transaction_id', 'desc')
      .limit(page.limit)
      .select(
        'p.transaction_id',
        'p.amount_minor',
        't.kind',
        't.instance_id',
        'i.hostname',
        't.period_start_ms',
        't.period_ms',
        't.reference',
        't.reverses_transaction_id',
        't.reason',
        { reversed_by: 'r.id' },
        't.created_at_ms',
      );
    if (page.before !== undefined)
      query.where('p.transaction_id', '<', page.before);
    return (await query).map(r => ({
      transactionId: Number(r.transaction_id),
      kind: r.kind,
      ...(r.instance_id ? { instanceId: r.instance_id } : {}),
      ...(r.hostname ? { instanceHostname: r.hostname } : {}),
      ...(r.period_start_ms !== null
        ? { periodStart: new Date(Number(r.period_start_ms)).toISOString() }
        : {}),
      ...(r.period_ms !== null
        ? { periodSeconds: Number(r.period_ms) / 1000 }
        : {}),
      amountMinor: Number(r.amount_minor),
      ...(r.reference ? { reference: r.reference } : {}),
      ...(r.reverses_transaction_id !== null
        ? { reversesTransactionId: Number(r.reverses_transaction_id) }
        : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.reversed_by !== null
        ? { reversedByTransactionId: Number(r.reversed_by) }
        : {}),
      at: new Date(Number(r.created_at_ms)).toISOString(),
    }));
  }
}
