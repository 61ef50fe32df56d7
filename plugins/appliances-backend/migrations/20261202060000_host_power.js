// @ts-check

/**
 * Host power over IPMI: what the BMC last said, its draw in Watts, faults,
 * a host whose BMC says on while its agent is silent, when a host became
 * empty (consolidation's grace period), the readings kept for a while and
 * every power decision with its reason.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('hosts', table => {
    table
      .string('power_state', 8)
      .notNullable()
      .defaultTo('unknown')
      .comment(
        'on, off or unknown (the BMC did not answer); powered_on follows it',
      );
    table.timestamp('power_changed_at', { useTz: true }).nullable();
    table.integer('watts').nullable().comment('The last power reading');
    table.timestamp('watts_read_at', { useTz: true }).nullable();
    table
      .string('bmc_fault', 500)
      .nullable()
      .comment(
        'Why the BMC last failed; consolidation leaves such hosts alone',
      );
    table.timestamp('bmc_fault_since', { useTz: true }).nullable();
    table
      .timestamp('agent_silent_since', { useTz: true })
      .nullable()
      .comment('Set while the BMC says on and the agent sends no heartbeat');
    table
      .timestamp('empty_since', { useTz: true })
      .nullable()
      .comment('When the power loop first saw the host without instances');
  });
  await knex('hosts').where({ powered_on: true }).update({ power_state: 'on' });
  await knex('hosts')
    .where({ powered_on: false })
    .update({ power_state: 'off' });

  await knex.schema.createTable('host_power_readings', table => {
    table.bigIncrements('id');
    table
      .string('host_id', 36)
      .notNullable()
      .references('id')
      .inTable('hosts')
      .onDelete('CASCADE');
    table.integer('watts').notNullable();
    table.timestamp('read_at', { useTz: true }).notNullable();
    table.index(['host_id', 'read_at'], 'host_power_readings_host_time');
    table.index(['read_at'], 'host_power_readings_time');
  });

  await knex.schema.createTable('power_decisions', table => {
    table.bigIncrements('id');
    table
      .string('host_id', 36)
      .notNullable()
      .references('id')
      .inTable('hosts')
      .onDelete('CASCADE');
    table.string('host_name', 255).notNullable();
    table.timestamp('decided_at', { useTz: true }).notNullable();
    table
      .string('actor', 255)
      .notNullable()
      .comment('A user entity ref, power-loop or provisioning');
    table
      .string('action', 16)
      .notNullable()
      .comment('on, off, cycle, drift, fault, silent');
    table.text('reason').notNullable();
    table.string('outcome', 8).notNullable().comment('done or failed');
    table
      .integer('watts')
      .nullable()
      .comment('The draw before an off: what powering off saves per hour');
    table.index(['host_id', 'decided_at'], 'power_decisions_host_time');
    table.index(['decided_at'], 'power_decisions_time');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('power_decisions');
  await knex.schema.dropTable('host_power_readings');
  await knex.schema.alterTable('hosts', table => {
    table.dropColumn('power_state');
    table.dropColumn('power_changed_at');
    table.dropColumn('watts');
    table.dropColumn('watts_read_at');
    table.dropColumn('bmc_fault');
    table.dropColumn('bmc_fault_since');
    table.dropColumn('agent_silent_since');
    table.dropColumn('empty_since');
  });
};
