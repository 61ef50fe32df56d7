// @ts-check

/**
 * The market average per standard configuration (each appliance's declared
 * hardware), recomputed on a schedule; the last value stays when no host
 * can place it, marked stale.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('billing_market_prices', table => {
    table.string('appliance_id', 255).primary().notNullable();
    table.integer('cpu_cores').notNullable();
    table.bigInteger('memory_mb').notNullable();
    table.bigInteger('storage_mb').notNullable();
    table.bigInteger('running_per_hour_minor').notNullable();
    table.bigInteger('storage_per_hour_minor').notNullable();
    table.bigInteger('per_hour_minor').notNullable();
    table.integer('hosts').notNullable().comment('Hosts averaged over');
    table.boolean('stale').notNullable().defaultTo(false);
    table.bigInteger('computed_at_ms').notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('billing_market_prices');
};
