// @ts-check

/**
 * Corrections are reversing entries: a reversal is a transaction of kind
 * `reversal` whose postings negate those of the transaction it reverses
 * (same lines, same accounts). The unique key on reverses_transaction_id
 * makes a transaction reversed at most once; it is partial, so that charges
 * (where it is null) write no index entry (bench/billing).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('billing_transactions', table => {
    table
      .bigInteger('reverses_transaction_id')
      .nullable()
      .comment('Reversals: the transaction whose postings this one negates');
    table
      .string('reason', 1000)
      .nullable()
      .comment('Reversals: why, as the admin gave it');
  });
  await knex.raw(
    `CREATE UNIQUE INDEX billing_transactions_reverses_uq
       ON billing_transactions (reverses_transaction_id)
       WHERE reverses_transaction_id IS NOT NULL`,
  );
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.raw('DROP INDEX billing_transactions_reverses_uq');
  await knex.schema.alterTable('billing_transactions', table => {
    table.dropColumn('reason');
    table.dropColumn('reverses_transaction_id');
  });
};
