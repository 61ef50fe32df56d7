// @ts-check

/**
 * Hosts registered by providers (Virtuoso's pmseller table): locked capacity,
 * per-unit prices with their periods, the agent and its enrolment, the BMC
 * (credentials encrypted), heartbeat state and reserved capacity.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('hosts', table => {
    table.comment('Virtualization hosts running the Tempest agent');
    table.string('id', 36).primary().notNullable();
    table.string('name', 63).notNullable().unique();
    table
      .string('owner', 255)
      .notNullable()
      .comment('Entity ref of the provider');
    table.string('cpu_model', 255).notNullable();
    table
      .integer('core_speed_mhz')
      .notNullable()
      .comment('Locked after registration');
    table
      .integer('cpu_cores')
      .notNullable()
      .comment('Locked after registration');
    table
      .bigInteger('memory_mb')
      .notNullable()
      .comment('Locked after registration');
    table
      .bigInteger('storage_mb')
      .notNullable()
      .comment('Locked after registration');
    table.integer('speed_unit_mhz').notNullable();
    table.bigInteger('speed_price_minor').notNullable();
    table.integer('memory_unit_mb').notNullable();
    table.bigInteger('memory_price_minor').notNullable();
    table.integer('running_period_seconds').notNullable();
    table.integer('storage_unit_mb').notNullable();
    table.bigInteger('storage_price_minor').notNullable();
    table.integer('storage_period_seconds').notNullable();
    table.text('agent_url').notNullable();
    table.string('bmc_address', 255).nullable();
    table
      .text('bmc_credentials')
      .nullable()
      .comment('AES-256-GCM sealed JSON {username, password}');
    table
      .string('state', 16)
      .notNullable()
      .comment('pending, online, offline or maintenance');
    table.boolean('powered_on').notNullable().defaultTo(true);
    table.integer('used_cpu_cores').notNullable().defaultTo(0);
    table.bigInteger('used_memory_mb').notNullable().defaultTo(0);
    table.bigInteger('used_storage_mb').notNullable().defaultTo(0);
    table
      .string('enrolment_token_hash', 64)
      .nullable()
      .comment('sha256 of the one-time token');
    table.timestamp('enrolment_expires_at', { useTz: true }).nullable();
    table.timestamp('enrolled_at', { useTz: true }).nullable();
    table
      .string('agent_token_hash', 64)
      .nullable()
      .comment('sha256 of the heartbeat token issued at enrolment');
    table.string('certificate_fingerprint', 128).nullable();
    table.timestamp('last_heartbeat_at', { useTz: true }).nullable();
    table
      .text('last_info')
      .nullable()
      .comment('JSON of the last heartbeat info');
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(['owner'], 'hosts_owner_idx');
    table.index(['state'], 'hosts_state_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('hosts');
};
