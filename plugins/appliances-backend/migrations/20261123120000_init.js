// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('channels', table => {
    table.comment(
      'Subscribed appliance channels (RSS feeds of STORM definitions)',
    );
    table.string('id', 63).primary().notNullable();
    table.text('url').notNullable();
    table.string('owner', 255).notNullable();
    table
      .text('trusted_keys')
      .notNullable()
      .defaultTo('[]')
      .comment('JSON array of armored OpenPGP public keys');
    table.integer('refresh_minutes').nullable();
    table.string('source', 16).notNullable().comment('config or api');
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('channels');
};
