import { Knex } from 'knex';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  Account,
  AccountRow,
  AccountStore,
  TOP_UPS_OWNER,
  toAccount,
} from './AccountStore';
import { isUniqueViolation } from './isUniqueViolation';

const MAX_BALANCE = Number.MAX_SAFE_INTEGER;

/** Credits to accounts, from the top-ups account, once per reference. */
export class TopUps {
  constructor(
    private readonly db: Knex,
    private readonly accounts: AccountStore,
    private readonly now: () => number = Date.now,
  ) {}

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
      const source = await this.accounts.ensure(TOP_UPS_OWNER, trx);
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
        // Balances are read back as JavaScript numbers: past 2^53 - 1 they would no longer be exact.
        const credited = await trx('billing_accounts')
          .where({ id: accountId })
          .andWhere('balance_minor', '<=', MAX_BALANCE - top.amountMinor)
          .increment('balance_minor', top.amountMinor);
        const debited = await trx('billing_accounts')
          .where({ id: source.id })
          .andWhere('balance_minor', '>=', top.amountMinor - MAX_BALANCE)
          .decrement('balance_minor', top.amountMinor);
        if (credited !== 1 || debited !== 1) {
          throw new ConflictError(
            `This top-up would take the balance past ${MAX_BALANCE.toLocaleString('en-US')} minor units, the most Tempest keeps exactly; the balance stays ${Number(account.balance_minor)}`,
          );
        }
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
}
