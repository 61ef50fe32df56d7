import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';

/** Owners of the accounts that make every transaction sum to zero. */
export const PLATFORM_FEES_OWNER = 'tempest:platform-fees';
export const TOP_UPS_OWNER = 'tempest:top-ups';

export type Account = {
  id: string;
  owner: string;
  currency: string;
  balanceMinor: number;
  /** When the balance fell below the low-balance threshold, while it stays there. */
  lowBalanceSince?: string;
  createdAt: string;
};

export type LedgerLine = {
  transactionId: number;
  kind: 'storage' | 'running' | 'top-up' | 'reversal';
  instanceId?: string;
  /** The instance's hostname, kept after it was deleted. */
  instanceHostname?: string;
  periodStart?: string;
  periodSeconds?: number;
  amountMinor: number;
  reference?: string;
  /** Reversals: the transaction whose postings this one negates, and why. */
  reversesTransactionId?: number;
  reason?: string;
  /** The reversal of this transaction, once it was reversed. */
  reversedByTransactionId?: number;
  at: string;
};

export type HostIncome = {
  hostId: string;
  /** The host's name; its id if the host is gone. */
  hostName: string;
  /** Instances on the host that brought this account income. */
  instances: number;
  incomeMinor: number;
};

type AccountRow = {
  id: string;
  owner: string;
  currency: string;
  balance_minor: number | string;
  low_balance_since_ms: number | string | null;
  created_at_ms: number | string;
};

export function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    owner: row.owner,
    currency: row.currency,
    balanceMinor: Number(row.balance_minor),
    ...(row.low_balance_since_ms !== null
      ? {
          lowBalanceSince: new Date(
            Number(row.low_balance_since_ms),
          ).toISOString(),
        }
      : {}),
    createdAt: new Date(Number(row.created_at_ms)).toISOString(),
  };
}

/** Accounts and their ledger lines; balances move only with postings. */
export class AccountStore {
  constructor(
    private readonly db: Knex,
    private readonly currency: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The account of `owner`, opened on first use. */
  async ensure(owner: string, trx: Knex = this.db): Promise<Account> {
    const [account] = await this.ensureMany([owner], trx);
    return account;
  }

  async ensureMany(owners: string[], trx: Knex = this.db): Promise<Account[]> {
    const unique = [...new Set(owners)];
    if (!unique.length) return [];
    for (let i = 0; i < unique.length; i += 500) {
      await trx('billing_accounts')
        .insert(
          unique.slice(i, i + 500).map(owner => ({
            id: randomUUID(),
            owner,
            currency: this.currency,
            balance_minor: 0,
            created_at_ms: this.now(),
          })),
        )
        .onConflict('owner')
        .ignore();
    }
    const rows: AccountRow[] = [];
    for (let i = 0; i < unique.length; i += 500) {
      rows.push(
        ...(await trx<AccountRow>('billing_accounts').whereIn(
          'owner',
          unique.slice(i, i + 500),
        )),
      );
    }
    const byOwner = new Map(rows.map(r => [r.owner, toAccount(r)]));
    return unique.map(o => byOwner.get(o)!);
  }

  async get(id: string): Promise<Account | undefined> {
    const row = await this.db<AccountRow>('billing_accounts')
      .where({ id })
      .first();
    return row ? toAccount(row) : undefined;
  }

  async findByOwner(owner: string): Promise<Account | undefined> {
    const row = await this.db<AccountRow>('billing_accounts')
      .where({ owner })
      .first();
    return row ? toAccount(row) : undefined;
  }

  /** Accounts of `owners`, or every account when undefined. */
  async list(owners?: string[]): Promise<Account[]> {
    const query = this.db<AccountRow>('billing_accounts').orderBy('owner');
    if (owners) query.whereIn('owner', owners);
    return (await query).map(toAccount);
  }

  /**
   * Credits `accountId` from the top-ups account. A reference already used
   * for this account changes nothing and returns the first top-up's id.
   */
  async topUp(
    accountId: string,
    top: { amountMinor: number; reference: string; actor: string },
  ): Promise<{ transactionId: number; created: boolean; account: Account }> {
    if (!Number.isSafeInteger(top.amountMinor) || top.amountMinor <= 0) {
      throw new InputError(
        'amountMinor must be a positive whole number of minor units',
      );
    }
    try {
      return await this.topUpOnce(accountId, top);
    } catch (e) {
      // The same reference sent twice at once: the second finds the first.
      if (!isUniqueViolation(e)) throw e;
      return this.topUpOnce(accountId, top);
    }
  }

  private topUpOnce(
    accountId: string,
    top: { amountMinor: number; reference: string; actor: string },
  ) {
    return this.db.transaction(async trx => {
      const account = await trx<AccountRow>('billing_accounts')
        .where({ id: accountId })
        .first();
      if (!account) throw new NotFoundError(`No account '${accountId}'`);
      const source = await this.ensure(TOP_UPS_OWNER, trx);
      const used = await trx('billing_top_ups')
        .where({ account_id: accountId, reference: top.reference })
        .first('transaction_id');
      let transactionId = used ? Number(used.transaction_id) : undefined;
      const created = transactionId === undefined;
      if (transactionId === undefined) {
        const [tx] = await trx('billing_transactions')
          .insert({
            kind: 'top-up',
            amount_minor: top.amountMinor,
            fee_minor: 0,
            payer_account_id: source.id,
            payee_account_id: accountId,
            reference: top.reference,
            actor: top.actor,
            created_at_ms: this.now(),
          })
          .returning('id');
        transactionId = Number(typeof tx === 'object' ? tx.id : tx);
        // A concurrent top-up with the same reference fails here and rolls back.
        await trx('billing_top_ups').insert({
          account_id: accountId,
          reference: top.reference,
          transaction_id: transactionId,
        });
        await trx('billing_postings').insert([
          {
            transaction_id: transactionId,
            account_id: source.id,
            line: 0,
            amount_minor: -top.amountMinor,
          },
          {
            transaction_id: transactionId,
            account_id: accountId,
            line: 1,
            amount_minor: top.amountMinor,
          },
        ]);
        await trx('billing_accounts')
          .where({ id: source.id })
          .decrement('balance_minor', top.amountMinor);
        await trx('billing_accounts')
          .where({ id: accountId })
          .increment('balance_minor', top.amountMinor);
      }
      const after = await trx<AccountRow>('billing_accounts')
        .where({ id: accountId })
        .first();
      return {
        transactionId,
        created,
        account: toAccount(after!),
      };
    });
  }

  /**
   * Reverses a transaction that has a posting on `accountId`: one new
   * transaction of kind `reversal` whose postings negate the original's line
   * by line, balances moved in the same database transaction. A transaction
   * is reversed at most once (a unique key): asking again returns the first
   * reversal. A reversal cannot itself be reversed.
   */
  async reverse(
    accountId: string,
    transactionId: number,
    correction: { reason: string; actor: string },
  ): Promise<{
    transactionId: number;
    reversesTransactionId: number;
    created: boolean;
    account: Account;
  }> {
    const reason = correction.reason.trim();
    if (!reason) throw new InputError('Give the reason for the reversal');
    try {
      return await this.reverseOnce(accountId, transactionId, {
        ...correction,
        reason,
      });
    } catch (e) {
      // The same transaction reversed twice at once: the second finds the first.
      if (!isUniqueViolation(e)) throw e;
      return this.reverseOnce(accountId, transactionId, {
        ...correction,
        reason,
      });
    }
  }

  private reverseOnce(
    accountId: string,
    transactionId: number,
    correction: { reason: string; actor: string },
  ) {
    return this.db.transaction(async trx => {
      const missing = () =>
        new NotFoundError(
          `No transaction ${transactionId} in account '${accountId}'`,
        );
      const original = await trx('billing_transactions')
        .where({ id: transactionId })
        .first();
      if (!original) throw missing();
      // Postings are keyed by account: read them from the accounts the transaction names.
      const parties = [original.payer_account_id, original.payee_account_id];
      if (Number(original.fee_minor) > 0) {
        const fees = await trx('billing_accounts')
          .where({ owner: PLATFORM_FEES_OWNER })
          .first('id');
        if (fees) parties.push(fees.id);
      }
      const postings: Array<{
        account_id: string;
        line: number | string;
        amount_minor: number | string;
      }> = await trx('billing_postings')
        .whereIn('account_id', [...new Set(parties)])
        .where('transaction_id', transactionId)
        .select('account_id', 'line', 'amount_minor');
      if (!postings.some(p => p.account_id === accountId)) throw missing();
      if (original.kind === 'reversal') {
        throw new ConflictError(
          `Transaction ${transactionId} is a reversal (of ${original.reverses_transaction_id}); a reversal is not reversed`,
        );
      }
      const done = await trx('billing_transactions')
        .where({ reverses_transaction_id: transactionId })
        .first('id');
      let reversalId = done ? Number(done.id) : undefined;
      const created = reversalId === undefined;
      if (reversalId === undefined) {
        const [tx] = await trx('billing_transactions')
          .insert({
            kind: 'reversal',
            instance_id: original.instance_id,
            amount_minor: original.amount_minor,
            fee_minor: original.fee_minor,
            payer_account_id: original.payer_account_id,
            payee_account_id: original.payee_account_id,
            actor: correction.actor,
            reason: correction.reason,
            reverses_transaction_id: transactionId,
            created_at_ms: this.now(),
          })
          .returning('id');
        reversalId = Number(typeof tx === 'object' ? tx.id : tx);
        await trx('billing_postings').insert(
          postings.map(p => ({
            transaction_id: reversalId,
            account_id: p.account_id,
            line: Number(p.line),
            amount_minor: -Number(p.amount_minor),
          })),
        );
        const deltas = new Map<string, number>();
        for (const p of postings)
          deltas.set(
            p.account_id,
            (deltas.get(p.account_id) ?? 0) - Number(p.amount_minor),
          );
        // In id order, as the billing task locks them: no deadlock between the two.
        for (const id of [...deltas.keys()].sort()) {
          await trx('billing_accounts')
            .where({ id })
            .increment('balance_minor', deltas.get(id)!);
        }
      }
      const after = await trx<AccountRow>('billing_accounts')
        .where({ id: accountId })
        .first();
      return {
        transactionId: reversalId,
        reversesTransactionId: transactionId,
        created,
        account: toAccount(after!),
      };
    });
  }

  /** What the accounts' open segments cost per hour, by account id. */
  async spendPerHour(accountIds: string[]): Promise<Map<string, number>> {
    const spend = new Map<string, number>();
    for (let i = 0; i < accountIds.length; i += 500) {
      const rows: Array<{
        payer_account_id: string;
        price_minor: number | string;
        period_ms: number | string;
        n: number | string;
      }> = (await this.db('billing_segments')
        .whereIn('payer_account_id', accountIds.slice(i, i + 500))
        .whereNull('end_ms')
        .groupBy('payer_account_id', 'price_minor', 'period_ms')
        .select('payer_account_id', 'price_minor', 'period_ms')
        .count({ n: '*' })) as any;
      for (const r of rows) {
        const perHour = Math.ceil(
          (Number(r.price_minor) * Number(r.n) * 3_600_000) /
            Number(r.period_ms),
        );
        spend.set(
          r.payer_account_id,
          (spend.get(r.payer_account_id) ?? 0) + perHour,
        );
      }
    }
    return spend;
  }

  /** The account's postings, newest first; `before` is the last transaction id seen. */
  async ledger(
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
  /**
   * What the account was credited as the provider (the payee line of charges
   * and of their reversals) per host of the charged instances, most first.
   */
  async incomeByHost(accountId: string): Promise<HostIncome[]> {
    const rows: Array<{
      host_id: string;
      name: string | null;
      income: number | string | null;
      instances: number | string;
    }> = await this.db('billing_postings as p')
      .join('billing_transactions as t', 't.id', 'p.transaction_id')
      .join('instances as i', 'i.id', 't.instance_id')
      .leftJoin('hosts as h', 'h.id', 'i.host_id')
      .where('p.account_id', accountId)
      .where('p.line', 1)
      .whereNotNull('i.host_id')
      .groupBy('i.host_id', 'h.name')
      .select('i.host_id', 'h.name')
      .sum({ income: 'p.amount_minor' })
      .countDistinct({ instances: 't.instance_id' });
    return rows
      .map(r => ({
        hostId: r.host_id,
        hostName: r.name ?? r.host_id,
        instances: Number(r.instances),
        incomeMinor: Number(r.income ?? 0),
      }))
      .sort(
        (a, b) =>
          b.incomeMinor - a.incomeMinor || a.hostName.localeCompare(b.hostName),
      );
  }
}

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}
