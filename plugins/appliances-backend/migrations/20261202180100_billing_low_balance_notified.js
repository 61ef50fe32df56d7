// @ts-check

/**
 * When the owners of an account below the low-balance threshold were told:
 * once per crossing, retried by the next tick if telling them failed.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('billing_accounts', table => {
    table
      .bigInteger('low_balance_notified_ms')
      .nullable()
      .comment(
        'Owners told of this crossing; cleared with low_balance_since_ms',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('billing_accounts', table => {
    table.dropColumn('low_balance_notified_ms');
  });
};
