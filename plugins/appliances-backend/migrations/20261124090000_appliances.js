// @ts-check

/**
 * Fetch status on channels, and the appliances each channel publishes.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('channels', table => {
    table.text('title').nullable();
    table.timestamp('last_fetch_at', { useTz: true }).nullable();
    table.timestamp('last_success_at', { useTz: true }).nullable();
    table
      .string('last_result', 16)
      .nullable()
      .comment('ok, not-modified or failed');
    table.text('last_error').nullable();
    table
      .text('item_errors')
      .notNullable()
      .defaultTo('[]')
      .comment('JSON array of {item, field, message}');
    table.text('etag').nullable();
    table.text('last_modified').nullable();
  });

  await knex.schema.createTable('appliances', table => {
    table.comment('Appliance definitions ingested from channel feeds');
    table.string('id', 63).primary().notNullable();
    table
      .string('channel_id', 63)
      .notNullable()
      .references('id')
      .inTable('channels')
      .onDelete('CASCADE');
    table.string('provides', 63).notNullable();
    table.string('version', 63).notNullable();
    table.string('label', 255).notNullable();
    table.text('description').notNullable();
    table.integer('size_mb').notNullable();
    table.text('image_url').notNullable();
    table.text('signature_url').nullable();
    table.string('signature_state', 16).notNullable();
    table
      .string('signature_digest', 64)
      .nullable()
      .comment('sha256 of keys, image url and signature bytes');
    table.text('webpanel').nullable();
    table.integer('cpus').notNullable();
    table.bigInteger('memory_kib').notNullable();
    table.string('ostype', 32).notNullable();
    table
      .text('disks')
      .notNullable()
      .comment('JSON array of {name, type, file?, sizeMb?}');
    table
      .text('dependencies')
      .notNullable()
      .comment('JSON array of {name, version?}');
    table.text('definition_url').notNullable();
    table.string('item_name', 255).notNullable();
    table.timestamp('ingested_at', { useTz: true }).notNullable();
    table.index(['channel_id'], 'appliances_channel_idx');
    table.index(['provides'], 'appliances_provides_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('appliances');
  await knex.schema.alterTable('channels', table => {
    table.dropColumns(
      'title',
      'last_fetch_at',
      'last_success_at',
      'last_result',
      'last_error',
      'item_errors',
      'etag',
      'last_modified',
    );
  });
};
