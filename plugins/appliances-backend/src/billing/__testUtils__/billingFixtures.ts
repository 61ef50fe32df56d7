import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

export const T0 = Date.UTC(2026, 0, 1);
export const MIN = 60_000;

export async function migrated(knex: Knex): Promise<Knex> {
  await knex.migrate.latest({
    directory: resolvePackagePath(
      '@tempest/backstage-plugin-appliances-backend',
      'migrations',
    ),
  });
  return knex;
}

export async function insertHost(
  knex: Knex,
  host: { id: string; owner: string },
): Promise<void> {
  await knex('hosts').insert({
    id: host.id,
    name: host.id,
    owner: host.owner,
    cpu_model: 'test',
    core_speed_mhz: 2000,
    cpu_cores: 64,
    memory_mb: 1 << 20,
    storage_mb: 1 << 24,
    speed_unit_mhz: 1000,
    speed_price_minor: 1,
    memory_unit_mb: 1024,
    memory_price_minor: 1,
    running_period_seconds: 60,
    storage_unit_mb: 1024,
    storage_price_minor: 1,
    storage_period_seconds: 60,
    agent_url: 'https://127.0.0.1:1',
    state: 'online',
    created_at: new Date(T0),
    updated_at: new Date(T0),
  });
}

export type TestInstance = {
  id: string;
  owner: string;
  costCenter?: string;
  hostId: string;
  pricedAt: number;
  runningPriceMinor: number;
  runningPeriodSeconds: number;
  storagePriceMinor: number;
  storagePeriodSeconds: number;
};

/** An instance placed at `pricedAt`, still provisioning; events move it on. */
export async function insertInstances(
  knex: Knex,
  instances: TestInstance[],
): Promise<void> {
  for (let i = 0; i < instances.length; i += 200) {
    await knex('instances').insert(
      instances.slice(i, i + 200).map(x => ({
        id: x.id,
        hostname: x.id.slice(0, 63),
        owner: x.owner,
        cost_center: x.costCenter ?? null,
        appliance_id: 'test-appliance',
        host_id: x.hostId,
        cpu_cores: 1,
        memory_mb: 1024,
        storage_mb: 1024,
        state: 'provisioning',
        version: 1,
        running_price_minor: x.runningPriceMinor,
        running_period_seconds: x.runningPeriodSeconds,
        storage_price_minor: x.storagePriceMinor,
        storage_period_seconds: x.storagePeriodSeconds,
        priced_at: new Date(x.pricedAt),
        created_at: new Date(x.pricedAt),
        updated_at: new Date(x.pricedAt),
      })),
    );
  }
}

/** What instance code does on a state change: the row and its event. */
export async function moveInstance(
  knex: Knex,
  id: string,
  from: string,
  to: string,
  at: number,
): Promise<void> {
  await knex.transaction(async trx => {
    await trx('instances')
      .where({ id })
      .update({
        state: to,
        updated_at: new Date(at),
        ...(to === 'started' ? { started_at: new Date(at) } : {}),
      });
    await trx('instance_events').insert({
      instance_id: id,
      at: new Date(at),
      actor: 'user:default/test',
      kind: 'action',
      from_state: from,
      to_state: to,
      outcome: 'succeeded',
    });
  });
}

export async function balances(knex: Knex): Promise<Map<string, number>> {
  const rows = await knex('billing_accounts').select('owner', 'balance_minor');
  return new Map(rows.map(r => [r.owner, Number(r.balance_minor)]));
}

/** Checks the ledger's invariants; returns a list of what is wrong. */
export async function ledgerProblems(knex: Knex): Promise<string[]> {
  const problems: string[] = [];
  const unbalanced = await knex('billing_postings')
    .groupBy('transaction_id')
    .havingRaw('SUM(amount_minor) <> 0')
    .select('transaction_id');
  if (unbalanced.length)
    problems.push(`${unbalanced.length} transactions do not sum to zero`);
  const bare = await knex('billing_transactions as t')
    .whereNotExists(q =>
      q
        .select(knex.raw('1'))
        .from('billing_postings as p')
        .whereRaw('p.transaction_id = t.id'),
    )
    .count({ n: '*' });
  if (Number(bare[0].n))
    problems.push(`${bare[0].n} transactions without postings`);
  const drift = await knex('billing_accounts as a')
    .leftJoin(
      knex('billing_postings')
        .groupBy('account_id')
        .select('account_id', knex.raw('SUM(amount_minor) AS total'))
        .as('p'),
      'p.account_id',
      'a.id',
    )
    .select('a.owner', 'a.balance_minor', 'p.total');
  for (const r of drift) {
    if (Number(r.balance_minor) !== Number(r.total ?? 0))
      problems.push(
        `${r.owner}: balance ${r.balance_minor} but postings ${r.total}`,
      );
  }
  const twice = await knex('billing_transactions')
    .whereNotNull('instance_id')
    .whereIn('kind', ['storage', 'running'])
    .groupBy('instance_id', 'kind', 'period_start_ms')
    .havingRaw('COUNT(*) > 1')
    .select('instance_id');
  if (twice.length) problems.push(`${twice.length} periods charged twice`);
  return problems;
}
