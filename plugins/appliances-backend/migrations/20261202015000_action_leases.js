// @ts-check

/**
 * An action in flight holds a lease its process renews while the agent call
 * runs: when the process dies the lease lapses within seconds, and the
 * action is settled from the agent's truth (or, for a delete, finished).
 * `pending_from` is the state the action started from.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('instances', table => {
    table
      .string('pending_from', 16)
      .nullable()
      .comment('The state the action in flight started from');
    table
      .timestamp('pending_until', { useTz: true })
      .nullable()
      .comment('When the action lease lapses unless its process renews it');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('instances', table => {
    table.dropColumn('pending_until');
    table.dropColumn('pending_from');
  });
};
