// @ts-check

/**
 * Console tickets: a short-lived, single-use pass to open one instance's
 * console over a websocket. Only a hash of the ticket is kept, so the table
 * cannot be read back into working tickets.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('console_tickets', table => {
    table
      .string('ticket_hash', 64)
      .primary()
      .comment('SHA-256 (hex) of the ticket handed to the caller');
    table
      .string('instance_id', 36)
      .notNullable()
      .references('id')
      .inTable('instances')
      .onDelete('CASCADE')
      .comment('The instance whose console the ticket opens');
    table
      .string('principal_ref', 255)
      .notNullable()
      .comment('Who the ticket was issued to');
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table
      .timestamp('used_at', { useTz: true })
      .nullable()
      .comment('When it opened a session; a used ticket opens nothing more');
    table.index(['expires_at'], 'console_tickets_expires_at_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('console_tickets');
};
