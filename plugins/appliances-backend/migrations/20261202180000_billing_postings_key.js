// @ts-check

/**
 * Postings keyed by (account, transaction, line) instead of a serial id
 * plus an account index: one index to write per posting instead of two,
 * and the account's ledger is still read in key order. `line` tells apart
 * the postings of one transaction to the same account (a provider buying
 * from its own host is payer and payee). Charges read their postings from
 * the insert's RETURNING now, so transactions no longer carry a batch id.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.renameTable('billing_postings', 'billing_postings_serial');
  await knex.schema.createTable('billing_postings', table => {
    table.comment('Lines of a transaction; each transaction sums to zero');
    table.string('account_id', 36).notNullable();
    table.bigInteger('transaction_id').notNullable();
    table
      .smallint('line')
      .notNullable()
      .comment('0 payer, 1 payee, 2 platform fee');
    table.bigInteger('amount_minor').notNullable();
    table.primary(
      ['account_id', 'transaction_id', 'line'],
      'billing_postings_key',
    );
  });
  await knex.raw(
    `INSERT INTO billing_postings (account_id, transaction_id, line, amount_minor)
     SELECT account_id, transaction_id,
            ROW_NUMBER() OVER (PARTITION BY transaction_id ORDER BY id) - 1,
            amount_minor
       FROM billing_postings_serial`,
  );
  await knex.schema.dropTable('billing_postings_serial');
  await knex.schema.alterTable('billing_transactions', table => {
    table.dropColumn('batch_id');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('billing_transactions', table => {
    table.string('batch_id', 36).notNullable().defaultTo('');
  });
  await knex.schema.renameTable('billing_postings', 'billing_postings_keyed');
  await knex.schema.createTable('billing_postings', table => {
    table.bigIncrements('id').primary();
    table.bigInteger('transaction_id').notNullable();
    table.string('account_id', 36).notNullable();
    table.bigInteger('amount_minor').notNullable();
    table.index(
      ['account_id', 'transaction_id'],
      'billing_postings_account_idx',
    );
  });
  await knex.raw(
    `INSERT INTO billing_postings (transaction_id, account_id, amount_minor)
     SELECT transaction_id, account_id, amount_minor FROM billing_postings_keyed
      ORDER BY transaction_id, line`,
  );
  await knex.schema.dropTable('billing_postings_keyed');
};
