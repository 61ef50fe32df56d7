// @ts-check

/**
 * Top-up references in a table of their own, and only the indexes a tick
 * needs on the tables it writes: every index is paid for on every charge
 * (bench/billing). Segments are found due by a scan, so that moving a
 * segment's next due period touches no index (a HOT update on PostgreSQL).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('billing_top_ups', table => {
    table.comment(
      'One row per (account, external reference): top-ups happen once',
    );
    table.string('account_id', 36).notNullable();
    table.string('reference', 255).notNullable();
    table.bigInteger('transaction_id').notNullable();
    table.primary(['account_id', 'reference']);
  });
  await knex.schema.alterTable('billing_transactions', table => {
    table.dropUnique([], 'billing_transactions_reference_uq');
    table.dropIndex([], 'billing_transactions_instance_idx');
    table.dropIndex([], 'billing_transactions_batch_idx');
  });
  await knex.schema.alterTable('billing_postings', table => {
    table.dropIndex([], 'billing_postings_transaction_idx');
  });
  await knex.schema.alterTable('billing_segments', table => {
    table.dropIndex([], 'billing_segments_due_idx');
  });
  if (knex.client.config.client === 'pg') {
    await knex.raw('ALTER TABLE billing_segments SET (fillfactor = 70)');
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('billing_segments', table => {
    table.index(['next_due_ms', 'id'], 'billing_segments_due_idx');
  });
  await knex.schema.alterTable('billing_postings', table => {
    table.index(['transaction_id'], 'billing_postings_transaction_idx');
  });
  await knex.schema.alterTable('billing_transactions', table => {
    table.index(['batch_id'], 'billing_transactions_batch_idx');
    table.index(['instance_id', 'id'], 'billing_transactions_instance_idx');
    table.unique(['payee_account_id', 'reference'], {
      indexName: 'billing_transactions_reference_uq',
    });
  });
  await knex.schema.dropTable('billing_top_ups');
};
