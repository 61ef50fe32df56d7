// @ts-check

/**
 * Instances with prices locked at placement, durable operations and their
 * steps, and image digests worked out once per appliance.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('instances', table => {
    table.comment('Appliance instances requested by buyers');
    table.string('id', 36).primary().notNullable();
    table.string('hostname', 63).notNullable();
    table
      .string('active_hostname', 63)
      .nullable()
      .unique()
      .comment(
        'Set while the instance is not deleted, so a hostname is taken once',
      );
    table
      .string('owner', 255)
      .notNullable()
      .comment('Entity ref of the requester');
    table.string('appliance_id', 63).notNullable();
    table.string('host_id', 36).nullable().references('id').inTable('hosts');
    table.string('requested_host_id', 36).nullable();
    table.bigInteger('max_price_per_hour_minor').nullable();
    table.integer('cpu_cores').notNullable();
    table.bigInteger('memory_mb').notNullable();
    table.bigInteger('storage_mb').notNullable();
    table.string('state', 16).notNullable();
    table.integer('version').notNullable().defaultTo(1);
    table.bigInteger('running_price_minor').nullable();
    table.integer('running_period_seconds').nullable();
    table.bigInteger('storage_price_minor').nullable();
    table.integer('storage_period_seconds').nullable();
    table.timestamp('priced_at', { useTz: true }).nullable();
    table
      .text('placement')
      .nullable()
      .comment('JSON: the placement decision and its reasons');
    table.string('domain_name', 63).nullable();
    table.string('operation_id', 36).nullable();
    table.text('error').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(['owner'], 'instances_owner_idx');
    table.index(['host_id'], 'instances_host_idx');
  });

  await knex.schema.createTable('operations', table => {
    table.comment(
      'Durable long-running work (provisioning), resumed or rolled back after a restart',
    );
    table.string('id', 36).primary().notNullable();
    table.string('kind', 32).notNullable();
    table.string('instance_id', 36).notNullable();
    table.string('requested_by', 255).notNullable();
    table.string('idempotency_key', 255).nullable();
    table.string('request_hash', 64).notNullable();
    table.text('request').notNullable().comment('JSON of the accepted request');
    table
      .string('state', 16)
      .notNullable()
      .comment('pending, running, rolling-back, succeeded, failed');
    table.string('failed_step', 32).nullable();
    table.text('error').nullable();
    table.string('lease_owner', 64).nullable();
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.unique(['requested_by', 'idempotency_key'], {
      indexName: 'operations_idempotency_uq',
    });
    table.index(['state'], 'operations_state_idx');
  });

  await knex.schema.createTable('operation_steps', table => {
    table
      .string('operation_id', 36)
      .notNullable()
      .references('id')
      .inTable('operations')
      .onDelete('CASCADE');
    table.integer('position').notNullable();
    table.string('name', 32).notNullable();
    table
      .string('state', 16)
      .notNullable()
      .comment('pending, running, done, failed, undone');
    table.float('progress').notNullable().defaultTo(0);
    table
      .text('detail')
      .nullable()
      .comment('JSON: download bytes and speed, what was created');
    table.text('error').nullable();
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.primary(['operation_id', 'position']);
  });

  await knex.schema.createTable('image_digests', table => {
    table.comment(
      'SHA-256 of image files, worked out by the backend once per URL',
    );
    table.string('url_hash', 64).primary().notNullable();
    table.text('url').notNullable();
    table.string('sha256', 64).notNullable();
    table.bigInteger('size_bytes').notNullable();
    table.timestamp('computed_at', { useTz: true }).notNullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('image_digests');
  await knex.schema.dropTable('operation_steps');
  await knex.schema.dropTable('operations');
  await knex.schema.dropTable('instances');
};
