// @ts-check

/**
 * Instance lifecycle: the action in flight (so a second action waits for
 * the first), the instance's event history, and indexes for paged lists.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('instances', table => {
    table
      .string('pending_action', 16)
      .nullable()
      .comment('The action running through the agent; null when none');
    table.timestamp('pending_since', { useTz: true }).nullable();
    table
      .timestamp('started_at', { useTz: true })
      .nullable()
      .comment('When the instance last entered started, for uptime');
    table.index(['created_at', 'id'], 'instances_created_idx');
    table.index(['owner', 'created_at'], 'instances_owner_created_idx');
    table.index(['state'], 'instances_state_idx');
  });

  await knex.schema.createTable('instance_events', table => {
    table.comment(
      'What happened to each instance: actions, refusals, reconciled drift',
    );
    table.bigIncrements('id').primary();
    table.string('instance_id', 36).notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table
      .string('actor', 255)
      .notNullable()
      .comment('Entity ref of the caller, or system:<task>');
    table
      .string('kind', 16)
      .notNullable()
      .comment('action, denied, reconcile, provision');
    table.string('action', 16).nullable();
    table.string('from_state', 16).nullable();
    table.string('to_state', 16).nullable();
    table
      .integer('version')
      .nullable()
      .comment('The version after the change, or the one the caller sent');
    table
      .string('outcome', 16)
      .notNullable()
      .comment('succeeded, failed, refused');
    table.text('message').nullable();
    table.index(['instance_id', 'id'], 'instance_events_instance_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('instance_events');
  await knex.schema.alterTable('instances', table => {
    table.dropIndex([], 'instances_state_idx');
    table.dropIndex([], 'instances_owner_created_idx');
    table.dropIndex([], 'instances_created_idx');
    table.dropColumn('started_at');
    table.dropColumn('pending_since');
    table.dropColumn('pending_action');
  });
};
