import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';

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

export type AccountRow = {
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

/** Accounts and their balances; balances move only with postings (top-ups, charges, reversals). */
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
}
