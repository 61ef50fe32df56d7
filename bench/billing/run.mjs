#!/usr/bin/env node
/* eslint-disable no-console */
// bench/billing: one billing tick for 100,000 running instances on PostgreSQL
// (targets ≤ 2 s), set-based (a few statements per batch of segments), and
// the ratio against a per-row loop doing the same work one charge at a time
// (target ≥ 50×). Env: BENCH_PG, BENCH_INSTANCES (100000), BENCH_LOOP_SAMPLE (3000).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';

const require = createRequire(import.meta.url);
require('@backstage/cli/config/nodeTransform.cjs');
const here = path.dirname(fileURLToPath(import.meta.url));
const billing = path.join(here, '../../plugins/appliances-backend/src/billing');
const { AccountStore } = require(path.join(billing, 'AccountStore.ts'));
const { BillingTask } = require(path.join(billing, 'BillingTask.ts'));
const knexFactory = require('knex');

const PG = process.env.BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const N = Number(process.env.BENCH_INSTANCES ?? 100_000);
const SAMPLE = Number(process.env.BENCH_LOOP_SAMPLE ?? 3000);
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const dbName = `bench_billing_${Date.now()}`;

const admin = knexFactory({ client: 'pg', connection: PG });
await admin.raw(`CREATE DATABASE ${dbName}`);
const knex = knexFactory({
  client: 'pg',
  connection: `${PG.replace(/\/$/, '')}/${dbName}`,
  pool: { min: 4, max: 4 },
});

/**
 * CPU time (ms) of this database's backends, when PostgreSQL runs on this
 * machine: unlike wall time, it does not grow with other work on the host.
 */
async function databaseCpuMs() {
  await Promise.all([1, 2, 3, 4].map(() => knex.raw('SELECT 1')));
  const { rows } = await knex.raw(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  let total = 0;
  for (const { pid } of rows) {
    try {
      const f = fs
        .readFileSync(`/proc/${pid}/stat`, 'utf8')
        .split(') ')[1]
        .split(' ');
      total += ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      return undefined;
    }
  }
  return total;
}
const seconds = ms => `${(ms / 1000).toFixed(2)} s`;
const ms = v => `${v.toFixed(0)} ms`;

async function main() {
  await knex.migrate.latest({
    directory: path.join(here, '../../plugins/appliances-backend/migrations'),
  });
  const hosts = 100;
  for (let h = 0; h < hosts; h++) {
    await knex('hosts').insert({
      id: `host-${h}`,
      name: `host-${h}`,
      owner: `user:default/provider-${h % 20}`,
      cpu_model: 'bench',
      core_speed_mhz: 2400,
      cpu_cores: 4096,
      memory_mb: 1 << 30,
      storage_mb: 1 << 30,
      speed_unit_mhz: 1000,
      speed_price_minor: 2,
      memory_unit_mb: 1024,
      memory_price_minor: 1,
      running_period_seconds: 3600,
      storage_unit_mb: 10240,
      storage_price_minor: 1,
      storage_period_seconds: 86400,
      agent_url: 'https://127.0.0.1:1',
      state: 'online',
      created_at: new Date(T0),
      updated_at: new Date(T0),
    });
  }
  let t = performance.now();
  const rows = [];
  const events = [];
  for (let i = 0; i < N; i++) {
    const id = randomUUID();
    rows.push({
      id,
      hostname: `b${i}`,
      owner: `user:default/u${i % 1000}`,
      cost_center: `group:default/team-${i % 200}`,
      appliance_id: 'bench',
      host_id: `host-${i % hosts}`,
      cpu_cores: 1,
      memory_mb: 1024,
      storage_mb: 10240,
      state: 'started',
      version: 2,
      running_price_minor: 3 + (i % 7),
      running_period_seconds: 3600,
      storage_price_minor: 1 + (i % 3),
      storage_period_seconds: 86400,
      priced_at: new Date(T0),
      started_at: new Date(T0),
      created_at: new Date(T0),
      updated_at: new Date(T0),
    });
    events.push({
      instance_id: id,
      at: new Date(T0),
      actor: 'user:default/bench',
      kind: 'provision',
      from_state: 'provisioning',
      to_state: 'started',
      outcome: 'succeeded',
    });
  }
  for (let i = 0; i < N; i += 1000) {
    await knex('instances').insert(rows.slice(i, i + 1000));
    await knex('instance_events').insert(events.slice(i, i + 1000));
  }
  console.log(
    `seeded ${N} started instances on ${hosts} hosts in ${seconds(performance.now() - t)}`,
  );

  const accounts = new AccountStore(knex, 'EUR');
  // Where the charging time goes, statement by statement, summed over batches.
  const steps = {};
  const marks = new Map();
  const task = new BillingTask(knex, accounts, {
    feeBasisPoints: 250,
    lowBalanceThresholdMinor: 0,
    between: (step, batch) => {
      const at = performance.now();
      if (step !== 'begin')
        steps[step] = (steps[step] ?? 0) + at - marks.get(batch);
      marks.set(batch, at);
    },
  });
  t = performance.now();
  const first = await task.tick(T0);
  console.log(
    `first tick (reads ${first.instancesRead} new instances into segments, charges storage and running): ${first.charged} charges in ${seconds(performance.now() - t)}: reading history ${ms(first.timings.ingestMs)}, charging ${ms(first.timings.chargeMs)}`,
  );
  await knex.raw('ANALYZE');

  // The measured tick: one running period due for every instance.
  for (const k of Object.keys(steps)) delete steps[k];
  const cpu0 = await databaseCpuMs();
  const load = os.loadavg()[0];
  t = performance.now();
  const tick = await task.tick(T0 + HOUR);
  const tickMs = performance.now() - t;
  const cpu1 = await databaseCpuMs();
  console.log(
    `billing tick, ${tick.charged} running periods of ${N} running instances: ${seconds(tickMs)} (target ≤ 2 s): reading history ${ms(tick.timings.ingestMs)}, charging ${ms(tick.timings.chargeMs)}, low balances ${ms(tick.timings.balancesMs)}`,
  );
  console.log(
    `  host load average ${load.toFixed(1)} on ${os.cpus().length} cores${cpu0 !== undefined && cpu1 !== undefined ? `; database CPU time ${ms(cpu1 - cpu0)}` : ''}`,
  );

  // Summed over batches (which run two at a time on PostgreSQL).
  console.log(
    `  statements: ${Object.entries(steps)
      .map(([k, v]) => `${k} ${ms(v)}`)
      .join(', ')}`,
  );
  if (process.env.BENCH_LOOP_SAMPLE === '0') process.exitCode = 0;
  else await perRowLoop(tick, tickMs);
}

async function perRowLoop(tick, tickMs) {
  // The same work one charge at a time, as a per-row daemon would: a sample, timed and scaled.
  const now = T0 + 2 * HOUR;
  const due = await knex('billing_segments')
    .where('next_due_ms', '<=', now)
    .orderBy('id')
    .limit(SAMPLE);
  const t = performance.now();
  for (const s of due) {
    await knex.transaction(async trx => {
      const k = Math.floor((now - Number(s.start_ms)) / Number(s.period_ms));
      const start = Number(s.start_ms) + k * Number(s.period_ms);
      const price = Number(s.price_minor);
      const fee = Math.floor((price * 250) / 10000);
      const [tx] = await trx('billing_transactions')
        .insert({
          kind: s.kind,
          instance_id: s.instance_id,
          period_start_ms: start,
          period_ms: s.period_ms,
          amount_minor: price,
          fee_minor: fee,
          payer_account_id: s.payer_account_id,
          payee_account_id: s.payee_account_id,
          created_at_ms: now,
        })
        .onConflict(['instance_id', 'kind', 'period_start_ms'])
        .ignore()
        .returning('id');
      if (!tx) return;
      await trx('billing_postings').insert([
        {
          transaction_id: tx.id,
          account_id: s.payer_account_id,
          line: 0,
          amount_minor: -price,
        },
        {
          transaction_id: tx.id,
          account_id: s.payee_account_id,
          line: 1,
          amount_minor: price - fee,
        },
      ]);
      await trx('billing_accounts')
        .where({ id: s.payer_account_id })
        .decrement('balance_minor', price);
      await trx('billing_accounts')
        .where({ id: s.payee_account_id })
        .increment('balance_minor', price - fee);
      await trx('billing_segments')
        .where({ id: s.id })
        .update({
          next_k: k + 1,
          next_due_ms: Number(s.start_ms) + (k + 1) * Number(s.period_ms),
        });
    });
  }
  const loopMs = performance.now() - t;
  const loopFull = (loopMs / due.length) * tick.charged;
  console.log(
    `per-row loop: ${due.length} charges in ${seconds(loopMs)} (${(due.length / (loopMs / 1000)).toFixed(0)}/s), ${seconds(loopFull)} for ${tick.charged} at that rate`,
  );
  console.log(
    `set-based vs per-row: ${(loopFull / tickMs).toFixed(1)}× (target ≥ 50×)`,
  );
}

try {
  await main();
} finally {
  await knex.destroy();
  if (process.env.BENCH_KEEP) console.log(`kept database ${dbName}`);
  else await admin.raw(`DROP DATABASE IF EXISTS ${dbName}`);
  await admin.destroy();
}
