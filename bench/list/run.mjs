#!/usr/bin/env node
/* eslint-disable no-console */
// bench/list: the first page of GET /api/appliances/instances over 10,000
// instances, end to end through the real backend on PostgreSQL (target ≤ 1 s).
// The guest is made a buyer and provider only (not an admin), so the list
// goes through the policy's conditional decision (IS_OWNER or
// IS_ON_HOST_OWNED_BY) turned into SQL; the same is measured for a state
// filter and a deep page, and 50 repeated first pages give p50/p99.
//
// Environment: BENCH_PG (default postgresql://postgres@127.0.0.1:5432),
// BENCH_PORT (default 7208), BENCH_INSTANCES (default 10000).
import { randomUUID } from 'node:crypto';
import { percentile } from '../lib/percentile.mjs';
import { startBenchBackend } from '../lib/startBenchBackend.mjs';
import { waitFor } from '../lib/waitFor.mjs';

const port = Number(process.env.BENCH_PORT ?? 7208);
const pg = process.env.BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const total = Number(process.env.BENCH_INSTANCES ?? 10000);
const bench = startBenchBackend({
  name: 'list',
  port,
  pg,
  config: ({ work }) => `tempest:
  roles:
    admin: [group:default/nobody-is-admin]
    provider: [group:default/tempest-providers]
    buyer: [group:default/tempest-buyers]
appliances:
  dataDir: ${work}/data
  embeddedHosts: { count: 0 }
  channels: []
`,
});
const { base, api, runId } = bench;

/** 10,000 instances: a quarter owned by a group the guest is in, a few on hosts the guest provides, the rest others'. */
async function seed() {
  const { Client } = (await import('pg')).default;
  const client = new Client({
    connectionString: pg.replace(/\/?$/, '') + `/bench_${runId}_appliances`,
  });
  await client.connect();
  try {
    const hostIds = [];
    for (let h = 0; h < 20; h++) {
      const id = randomUUID();
      hostIds.push(id);
      await client.query(
        `INSERT INTO hosts (id, name, owner, cpu_model, core_speed_mhz, cpu_cores, memory_mb, storage_mb,
          speed_unit_mhz, speed_price_minor, memory_unit_mb, memory_price_minor, running_period_seconds,
          storage_unit_mb, storage_price_minor, storage_period_seconds, agent_url, state, powered_on,
          used_cpu_cores, used_memory_mb, used_storage_mb, created_at, updated_at)
         VALUES ($1,$2,$3,'X',2000,1024,1048576,100000000,1000,2,1024,1,3600,10240,3,86400,'https://h.example:7443','online',true,0,0,0,now(),now())`,
        [
          id,
          `bench-host-${h}`,
          h < 2
            ? 'group:default/tempest-providers'
            : `user:default/provider-${h}`,
        ],
      );
    }
    const states = [
      'started',
      'started',
      'started',
      'stopped',
      'suspended',
      'error',
      'deleted',
    ];
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    for (let start = 0; start < total; start += 1000) {
      const values = [];
      const params = [];
      for (let i = start; i < Math.min(total, start + 1000); i++) {
        const owner =
          i % 4 === 0
            ? 'group:default/tempest-buyers'
            : `user:default/buyer-${i % 200}`;
        const state = states[i % states.length];
        const hostname = `bench-${i}`;
        const row = [
          randomUUID(),
          hostname,
          state === 'deleted' ? null : hostname,
          owner,
          'sample.dns.1',
          hostIds[i % hostIds.length],
          state,
          new Date(t0 + i * 1000),
        ];
        values.push(
          `(${row.map((_, k) => `$${params.length + k + 1}`).join(',')},1,512,4096,1,$${params.length + row.length}::timestamptz)`,
        );
        params.push(...row);
      }
      await client.query(
        `INSERT INTO instances (id, hostname, active_hostname, owner, appliance_id, host_id, state, created_at,
           cpu_cores, memory_mb, storage_mb, version, updated_at) VALUES ${values.join(',')}`,
        params,
      );
    }
    await client.query('ANALYZE instances');
    await client.query('ANALYZE hosts');
  } finally {
    await client.end();
  }
}

async function main() {
  await waitFor(
    'the backend',
    async () => (await fetch(`${api}/health`)).ok,
    180_000,
  );
  const t0 = performance.now();
  await seed();
  console.log(
    `seeded ${total} instances on 20 hosts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const headers = {};
  const signIn = async () => {
    const { backstageIdentity } = await (
      await fetch(`${base}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      })
    ).json();
    headers.authorization = `Bearer ${backstageIdentity.token}`;
    return backstageIdentity;
  };
  // The guest's groups come from the catalog; wait until they do.
  await waitFor(
    'the guest to be a buyer',
    async () => {
      const identity = await signIn();
      return identity.identity.ownershipEntityRefs.includes(
        'group:default/tempest-buyers',
      );
    },
    90_000,
  );

  const timed = async p => {
    const started = performance.now();
    const res = await fetch(`${api}${p}`, { headers });
    const body = await res.json();
    if (!res.ok)
      throw new Error(
        `GET ${p} answered ${res.status}: ${JSON.stringify(body)}`,
      );
    return { ms: performance.now() - started, body };
  };

  // A fresh token: the first page pays the permission decision too.
  await signIn();
  const first = await timed('/instances?limit=50');
  const filtered = await timed('/instances?limit=50&state=started');
  const deep = await timed('/instances?limit=50&offset=2000');
  const repeated = [];
  for (let i = 0; i < 50; i++)
    repeated.push((await timed('/instances?limit=50')).ms);
  repeated.sort((a, b) => a - b);

  // The expected count, straight from the seed's rules: the guest's group, or on its two hosts.
  let expected = 0;
  for (let i = 0; i < total; i++) {
    const visible = i % 4 === 0 || i % 20 < 2;
    if (visible && i % 7 !== 6) expected++;
  }
  console.log(
    `GET /instances over ${total} instances (PostgreSQL, guest as buyer + provider: IS_OWNER or IS_ON_HOST_OWNED_BY in SQL)`,
  );
  console.log(
    `  visible to the guest: ${first.body.totalCount} (expected ${expected}), first page ${first.body.items.length} items`,
  );
  console.log(
    `  first page, fresh token, end to end: ${first.ms.toFixed(0)} ms (target ≤ 1000 ms)`,
  );
  console.log(
    `  state=started: ${filtered.ms.toFixed(0)} ms (${filtered.body.totalCount} match); offset 2000: ${deep.ms.toFixed(0)} ms`,
  );
  console.log(
    `  50 repeated first pages: p50 ${percentile(repeated, 50).toFixed(1)} ms, p99 ${percentile(repeated, 99).toFixed(1)} ms`,
  );
  if (first.body.totalCount !== expected)
    throw new Error('the list does not hold what the policy allows');
  if (first.ms > 1000) throw new Error('first page slower than 1 s');
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(
    `bench/list failed: ${e.message} (backend log: ${bench.logFile})`,
  );
  code = 1;
} finally {
  await bench.stop();
}
process.exit(code);
