// @ts-check

/**
 * The values an appliance asks for at provisioning (its declared variables),
 * and the values each instance was given: its domain, SSH keys and variables.
 * Secret variables are sealed (AES-GCM under appliances.secretKey) and never
 * served back.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('appliances', table => {
    table
      .text('variables')
      .notNullable()
      .defaultTo('[]')
      .comment(
        'JSON array of {name, description, required, secret, default?} the definition declares',
      );
  });
  await knex.schema.alterTable('instances', table => {
    table
      .string('domain', 253)
      .nullable()
      .comment('The DNS domain the instance is told it is in');
    table
      .text('ssh_authorized_keys')
      .nullable()
      .comment('JSON array of OpenSSH public key lines');
    table
      .text('variables')
      .nullable()
      .comment('JSON object of the non-secret appliance variables');
    table
      .text('secret_variables')
      .nullable()
      .comment('JSON {names, sealed}: the secret variables, sealed');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('instances', table => {
    table.dropColumn('secret_variables');
    table.dropColumn('variables');
    table.dropColumn('ssh_authorized_keys');
    table.dropColumn('domain');
  });
  await knex.schema.alterTable('appliances', table => {
    table.dropColumn('variables');
  });
};
