// @ts-check

/**
 * Billing: accounts owned by entities, an append-only double-entry ledger,
 * and the chargeable segments of each instance (storage from placement to
 * deletion, running from each start to the next stop). Times in billing
 * tables are epoch milliseconds so that period arithmetic is the same
 * integer arithmetic on SQLite and PostgreSQL.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('billing_accounts', table => {
    table.comment('One account per entity (user or group) or platform role');
    table.string('id', 36).primary().notNullable();
    table
      .string('owner', 255)
      .notNullable()
      .unique()
      .comment('Entity ref, or tempest:platform-fees / tempest:top-ups');
    table.string('currency', 3).notNullable();
    table
      .bigInteger('balance_minor')
      .notNullable()
      .defaultTo(0)
      .comment('Sum of its postings, kept in the same transaction as them');
    table
      .bigInteger('low_balance_since_ms')
      .nullable()
      .comment('Set when the balance fell below the threshold; cleared above');
    table.bigInteger('created_at_ms').notNullable();
  });

  await knex.schema.createTable('billing_transactions', table => {
    table.comment('Append-only: a charge or a top-up; corrections reverse');
    table.bigIncrements('id').primary();
    table.string('kind', 16).notNullable().comment('storage, running, top-up');
    table.string('instance_id', 36).nullable();
    table
      .bigInteger('period_start_ms')
      .nullable()
      .comment('The charged period begins here; unique per instance and kind');
    table.bigInteger('period_ms').nullable();
    table.bigInteger('amount_minor').notNullable();
    table.bigInteger('fee_minor').notNullable().defaultTo(0);
    table.string('payer_account_id', 36).notNullable();
    table.string('payee_account_id', 36).notNullable();
    table
      .string('reference', 255)
      .nullable()
      .comment('Top-ups: the external reference, unique per account');
    table.string('actor', 255).nullable();
    table
      .string('batch_id', 36)
      .notNullable()
      .comment('Which statement wrote it, so its postings follow in one set');
    table.bigInteger('created_at_ms').notNullable();
    // Exactly once: a second charge of the same period cannot be inserted.
    table.unique(['instance_id', 'kind', 'period_start_ms'], {
      indexName: 'billing_transactions_period_uq',
    });
    table.unique(['payee_account_id', 'reference'], {
      indexName: 'billing_transactions_reference_uq',
    });
    table.index(['batch_id'], 'billing_transactions_batch_idx');
    table.index(['instance_id', 'id'], 'billing_transactions_instance_idx');
  });

  await knex.schema.createTable('billing_postings', table => {
    table.comment('Lines of a transaction; each transaction sums to zero');
    table.bigIncrements('id').primary();
    table.bigInteger('transaction_id').notNullable();
    table.string('account_id', 36).notNullable();
    table.bigInteger('amount_minor').notNullable();
    table.index(
      ['account_id', 'transaction_id'],
      'billing_postings_account_idx',
    );
    table.index(['transaction_id'], 'billing_postings_transaction_idx');
  });

  await knex.schema.createTable('billing_segments', table => {
    table.comment(
      'Chargeable stretches of an instance, from its history; periods begin at start_ms',
    );
    table.bigIncrements('id').primary();
    table.string('instance_id', 36).notNullable();
    table.string('kind', 16).notNullable().comment('storage, running');
    table.bigInteger('start_ms').notNullable();
    table.bigInteger('end_ms').nullable();
    table.bigInteger('period_ms').notNullable();
    table.bigInteger('price_minor').notNullable();
    table.string('payer_account_id', 36).notNullable();
    table.string('payee_account_id', 36).notNullable();
    table
      .integer('next_k')
      .notNullable()
      .defaultTo(0)
      .comment('Index of the next period to charge');
    table
      .bigInteger('next_due_ms')
      .nullable()
      .comment(
        'start_ms + next_k * period_ms; null once every period is charged',
      );
    table.unique(['instance_id', 'kind', 'start_ms'], {
      indexName: 'billing_segments_uq',
    });
    table.index(['next_due_ms', 'id'], 'billing_segments_due_idx');
  });

  await knex.schema.createTable('billing_numbers', table => {
    table.comment('0..1023: period indexes joined in one statement');
    table.integer('k').primary().notNullable();
  });
  const numbers = Array.from({ length: 1024 }, (_, k) => ({ k }));
  for (let i = 0; i < numbers.length; i += 256) {
    await knex('billing_numbers').insert(numbers.slice(i, i + 256));
  }

  await knex.schema.createTable('billing_feed', table => {
    table.comment('How far the billing task has read instance_events');
    table.string('id', 16).primary().notNullable();
    table.bigInteger('last_event_id').notNullable().defaultTo(0);
  });
  await knex('billing_feed').insert({ id: 'events', last_event_id: 0 });

  await knex.schema.alterTable('instances', table => {
    table
      .string('cost_center', 255)
      .nullable()
      .comment('Entity ref whose account pays; the owner when null');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('instances', table => {
    table.dropColumn('cost_center');
  });
  await knex.schema.dropTable('billing_feed');
  await knex.schema.dropTable('billing_numbers');
  await knex.schema.dropTable('billing_segments');
  await knex.schema.dropTable('billing_postings');
  await knex.schema.dropTable('billing_transactions');
  await knex.schema.dropTable('billing_accounts');
};
