// @ts-check

/**
 * Every instance gets a NIC with a MAC Tempest issues (unique across the
 * installation, kept for the instance's life, so a restart or a move keeps
 * its DHCP lease) and the addresses its agent last reported on it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('instances', table => {
    table
      .string('mac', 17)
      .nullable()
      .unique({ indexName: 'instances_mac_unique' })
      .comment('The MAC of the instance NIC, issued by Tempest');
    table
      .string('network', 63)
      .nullable()
      .comment('The host network the NIC is on');
    table
      .text('addresses')
      .nullable()
      .comment('JSON array of the IPv4/IPv6 addresses the agent last reported');
    table
      .string('webpanel', 2048)
      .nullable()
      .comment(
        "The appliance's webpanel (a path on the instance, or a URL) when it was requested",
      );
    table
      .timestamp('addresses_at', { useTz: true })
      .nullable()
      .comment('When the addresses last changed');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('instances', table => {
    table.dropUnique(['mac'], 'instances_mac_unique');
    table.dropColumn('addresses_at');
    table.dropColumn('webpanel');
    table.dropColumn('addresses');
    table.dropColumn('network');
    table.dropColumn('mac');
  });
};
