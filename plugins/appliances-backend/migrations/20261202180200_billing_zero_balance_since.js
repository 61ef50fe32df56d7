// @ts-check

/**
 * When an account reached zero (or below), for the zero-balance policy
 * 'stop-after-grace': its running instances are stopped once the grace
 * period has passed since then.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('billing_accounts', table => {
    table
      .bigInteger('zero_balance_since_ms')
      .nullable()
      .comment('Set when the balance reached zero or below; cleared above');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('billing_accounts', table => {
    table.dropColumn('zero_balance_since_ms');
  });
};
