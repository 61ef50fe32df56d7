import { Knex } from 'knex';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  Account,
  AccountRow,
  PLATFORM_FEES_OWNER,
  toAccount,
} from './AccountStore';
import { isUniqueViolation } from './isUniqueViolation';

/** Corrections: a transaction negated by a reversal, at most once. */
export class Reversals {
  constructor(
    private readonly db: Knex,
    private readonly now: () => number = Date.now,
  ) {}

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
}
