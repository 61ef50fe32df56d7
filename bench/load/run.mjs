#!/usr/bin/env node
/* eslint-disable no-console */
// bench/load: BENCH_CLIENTS (200) concurrent clients for BENCH_SECONDS (60 s)
// against the real backend on PostgreSQL, each looping over a mix of what
// users do: reads (instance list and detail, appliances, hosts, estimates),
// provisions, and power actions on an instance of its own (stop/start with the
// version it last saw, as the portal does). Prints errors, throughput and
// p50/p99 per kind and overall. Target: 0 errors, p99 < 250 ms.
//
// An error is a failed connection, a timeout, a 5xx, or an answer the request
// should not get (a 4xx on a valid request: every request here is valid and
// every action carries the current version, so a 409 is an error too).
//
// Before the load it prints what each kind of request costs the backend, a
// figure that other work on a shared machine hardly moves: the backend
// process's CPU time and the statements it sends to PostgreSQL per request,
// over BENCH_COST_REQUESTS (200) requests of that kind from 4 callers, less
// what the idle backend spends in the same time (lib/backendProbe.cjs).
//
// Environment: BENCH_PG (default postgresql://postgres@127.0.0.1:5432),
// BENCH_PORT (default 7208), BENCH_CLIENTS (200), BENCH_SECONDS (60),
// BENCH_COST_REQUESTS (200; 0 skips the costs), BENCH_COST_PROVISIONS (40),
// BENCH_THINK_MS (1000; 0 for a closed loop), BENCH_PROVISION_WEIGHT (5, of 100).
import { percentile } from '../lib/percentile.mjs';
import { root, startBenchBackend } from '../lib/startBenchBackend.mjs';
import { waitFor } from '../lib/waitFor.mjs';

const port = Number(process.env.BENCH_PORT ?? 7208);
const pg = process.env.BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const clients = Number(process.env.BENCH_CLIENTS ?? 200);
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const costRequests = Number(process.env.BENCH_COST_REQUESTS ?? 200);
// A person reads between clicks: each client waits a think time (exponential,
// mean BENCH_THINK_MS) after every answer. 0 makes the clients a closed loop
// that sends the next request at once, which measures the saturated backend.
const thinkMs = Number(process.env.BENCH_THINK_MS ?? 1000);
const think = () => -Math.log(1 - Math.random()) * thinkMs;
const sleep = ms => new Promise(r => setTimeout(r, ms));
// Provisions cost the most and are measured over fewer.
const costProvisions = Math.min(
  costRequests,
  Number(process.env.BENCH_COST_PROVISIONS ?? 40),
);
const key = `${root}/catalog/channels/TEST-ONLY-signing-key/public-key.TEST-ONLY.asc`;

/** What a client does next, by weight (out of 100). */
const MIX = [
  ['list instances', 30],
  ['get instance', 20],
  ['list appliances', 15],
  ['list hosts', 10],
  ['estimate', 10],
  ['action', 10],
  ['provision', Number(process.env.BENCH_PROVISION_WEIGHT ?? 5)],
];

const bench = startBenchBackend({
  name: 'load',
  port,
  pg,
  probePort: port + 1,
  // The bench measures the API, not balances: provisioning goes on at zero.
  config: ({ work, api }) => `appliances:
  dataDir: ${work}/data
  billing: { zeroBalancePolicy: none }
  embeddedHosts: { count: 3, cpus: 100000, memoryMiB: 100000000, diskGiB: 1000000 }
  channels:
    - id: sample
      url: ${api}/static/channels/sample/feed.xml
      owner: group:default/tempest-admins
      trustedKeys: [{ $file: ${key} }]
  osImages:
    - ostype: linux
      name: linux-base
      version: '1.0'
      url: ${api}/static/os-images/linux-base-1.0.qcow2
      signatureUrl: ${api}/static/os-images/linux-base-1.0.qcow2.asc
      trustedKeys: [{ $file: ${key} }]
`,
});
const { base, api, runId } = bench;

async function main() {
  await waitFor(
    'the backend',
    async () => (await fetch(`${api}/health`)).ok,
    180_000,
  );
  const headers = { 'content-type': 'application/json' };
  const get = async p => (await fetch(`${api}${p}`, { headers })).json();
  await waitFor(
    'the guest to be an admin, a provider and a buyer',
    async () => {
      const { backstageIdentity } = await (
        await fetch(`${base}/api/auth/guest/refresh`, {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        })
      ).json();
      headers.authorization = `Bearer ${backstageIdentity.token}`;
      const refs = backstageIdentity.identity.ownershipEntityRefs;
      return ['admins', 'providers', 'buyers'].every(g =>
        refs.includes(`group:default/tempest-${g}`),
      );
    },
    90_000,
  );
  await waitFor(
    'three online hosts',
    async () =>
      (await get('/hosts')).items.filter(h => h.state === 'online').length ===
      3,
    90_000,
  );
  const appliance = await waitFor(
    'the sample channel',
    async () => (await get('/appliances?provides=dns')).items[0],
    60_000,
  );
  const size = {
    cpuCores: appliance.hardware.cpus,
    memoryMb: Math.ceil(appliance.hardware.memoryKib / 1024),
    storageMb: 4096,
  };
  const provisionBody = hostname =>
    JSON.stringify({ applianceId: appliance.id, hostname, size });

  // One started instance per client, for its power actions.
  console.log(`provisioning ${clients} instances for the clients' actions…`);
  const own = [];
  for (let i = 0; i < clients; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, clients - i) }, async (_, j) => {
        const res = await fetch(`${api}/instances`, {
          method: 'POST',
          headers,
          body: provisionBody(`own-${runId}-${i + j}`),
        });
        if (res.status !== 202)
          throw new Error(
            `provision answered ${res.status}: ${await res.text()}`,
          );
        return (await res.json()).instanceId;
      }),
    );
    own.push(...batch);
  }
  const mine = await waitFor(
    'every client instance to be started',
    async () => {
      const all = await Promise.all(own.map(id => get(`/instances/${id}`)));
      return all.every(x => x.state === 'started') ? all : undefined;
    },
    300_000,
  );

  const stats = new Map(
    MIX.map(([kind]) => [kind, { ms: [], errors: 0, examples: [] }]),
  );
  const totalWeight = MIX.reduce((n, [, w]) => n + w, 0);
  const pick = () => {
    let r = Math.random() * totalWeight;
    for (const [kind, w] of MIX) {
      r -= w;
      if (r < 0) return kind;
    }
    return MIX[0][0];
  };
  let provisions = 0;

  async function call(kind, path, init, expected) {
    const s = stats.get(kind);
    const t0 = performance.now();
    try {
      const res = await fetch(`${api}${path}`, {
        headers,
        signal: AbortSignal.timeout(10_000),
        ...init,
      });
      const body = await res.text();
      s.ms.push(performance.now() - t0);
      if (res.status !== expected) {
        s.errors++;
        if (s.examples.length < 3)
          s.examples.push(`${res.status} ${body.slice(0, 200)}`);
        return undefined;
      }
      return body ? JSON.parse(body) : undefined;
    } catch (e) {
      s.ms.push(performance.now() - t0);
      s.errors++;
      if (s.examples.length < 3) s.examples.push(String(e));
      return undefined;
    }
  }

  /** One request of `kind` by caller `c` (its own instance, its last version). */
  async function once(kind, c) {
    if (kind === 'list instances')
      return call(kind, '/instances?limit=20', {}, 200);
    if (kind === 'get instance')
      return call(kind, `/instances/${mine[c].id}`, {}, 200);
    if (kind === 'list appliances')
      return call(kind, '/appliances?limit=20', {}, 200);
    if (kind === 'list hosts') return call(kind, '/hosts', {}, 200);
    if (kind === 'estimate')
      return call(
        kind,
        '/instances/estimate',
        { method: 'POST', body: provisionBody(`estimate-${c}`) },
        200,
      );
    if (kind === 'provision')
      return call(
        kind,
        '/instances',
        {
          method: 'POST',
          body: provisionBody(`load-${runId}-${c}-${provisions++}`),
        },
        202,
      );
    const instance = mine[c];
    const action = instance.state === 'started' ? 'stop' : 'start';
    const done = await call(
      kind,
      `/instances/${instance.id}/actions`,
      {
        method: 'POST',
        body: JSON.stringify({ action, expectedVersion: instance.version }),
      },
      200,
    );
    const now = done ? done.instance : await get(`/instances/${instance.id}`);
    instance.version = now.version;
    instance.state = now.state;
    return done;
  }

  if (costRequests > 0) {
    // The idle backend's own work (catalog, heartbeats, tasks) per second, to subtract.
    const idle0 = await bench.probe();
    const i0 = performance.now();
    await new Promise(r => setTimeout(r, 5000));
    const idle1 = await bench.probe();
    const idleS = (performance.now() - i0) / 1000;
    const idleCpu = (idle1.cpuMicros - idle0.cpuMicros) / idleS;
    const appQueries = x => x.queries.appliances ?? 0;
    const allQueries = x => Object.values(x.queries).reduce((a, b) => a + b, 0);
    const idleApp = (appQueries(idle1) - appQueries(idle0)) / idleS;
    const idleQueries =
      (allQueries(idle1) - allQueries(idle0)) / idleS - idleApp;
    console.log(
      `cost per request (${costRequests} of each kind, ${costProvisions} provisions, from 4 callers; idle backend: ${(idleCpu / 1000).toFixed(0)} ms CPU per second, subtracted; statements to the appliances database and to the others, less the idle backend's ${idleApp.toFixed(1)} and ${idleQueries.toFixed(1)} per second):`,
    );
    // Provisions last: the runner's work on them goes on afterwards.
    for (const [kind] of [...MIX].sort(
      ([a], [b]) => (a === 'provision') - (b === 'provision'),
    )) {
      const p0 = await bench.probe();
      const t = performance.now();
      const n = kind === 'provision' ? costProvisions : costRequests;
      let next = 0;
      await Promise.all(
        [0, 1, 2, 3].map(async c => {
          while (next++ < n) await once(kind, c);
        }),
      );
      const p1 = await bench.probe();
      const s = (performance.now() - t) / 1000;
      const cpu = (p1.cpuMicros - p0.cpuMicros - idleCpu * s) / n;
      const queries = (appQueries(p1) - appQueries(p0) - idleApp * s) / n;
      const others =
        (allQueries(p1) -
          allQueries(p0) -
          (appQueries(p1) - appQueries(p0)) -
          idleQueries * s) /
        n;
      const st = stats.get(kind);
      if (process.env.BENCH_CPU_PROF)
        console.log(`  (profile clock ${p0.monoMicros}..${p1.monoMicros} µs)`);
      console.log(
        `  ${kind.padEnd(16)} ${(cpu / 1000).toFixed(2).padStart(6)} ms CPU, ${queries.toFixed(1).padStart(5)} statements (+${Math.max(0, others).toFixed(1)} to other plugins' databases)${st.errors ? `, ${st.errors} errors` : ''}`,
      );
      for (const e of st.examples) console.log(`      e.g. ${e}`);
      if (kind === 'provision') {
        // What the runner then spends until they are started.
        const r0 = await bench.probe();
        const rt = performance.now();
        await waitFor(
          'the provisioned instances to be started',
          async () =>
            (await get(`/instances?limit=1&state=provisioning`)).totalCount ===
            0,
          300_000,
        );
        const r1 = await bench.probe();
        const rs = (performance.now() - rt) / 1000;
        console.log(
          `  ${'(runner)'.padEnd(16)} ${((r1.cpuMicros - r0.cpuMicros - idleCpu * rs) / n / 1000).toFixed(2).padStart(6)} ms CPU, ${((appQueries(r1) - appQueries(r0) - idleApp * rs) / n).toFixed(1).padStart(5)} statements per provision until started (${rs.toFixed(1)} s)`,
        );
      }
      st.ms = [];
      st.errors = 0;
      st.examples = [];
    }
  }

  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    mine.map(async (_, c) => {
      // Each client starts at a random point of its first think time, so they do not arrive in one wave.
      if (thinkMs) await sleep(Math.random() * thinkMs);
      while (performance.now() < deadline) {
        await once(pick(), c);
        if (thinkMs) await sleep(think());
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  // Provisioning gives way to requests under load: how far it got meanwhile, and when it caught up.
  const unfinished = async () =>
    (await get('/instances?limit=1&state=provisioning')).totalCount;
  const behind = await unfinished();
  const t1 = performance.now();
  await waitFor(
    'the provisions accepted during the load to be started',
    async () => (await unfinished()) === 0,
    900_000,
  );
  const caughtUp = (performance.now() - t1) / 1000;

  const all = [];
  let errors = 0;
  console.log(
    `bench/load: ${clients} clients for ${elapsed.toFixed(1)} s on PostgreSQL, three simulated hosts in the backend, ${thinkMs ? `think time ${thinkMs} ms on average between a client's requests` : 'no think time (closed loop)'}`,
  );
  for (const [kind, s] of stats) {
    s.ms.sort((a, b) => a - b);
    all.push(...s.ms);
    errors += s.errors;
    console.log(
      `  ${kind.padEnd(16)} ${String(s.ms.length).padStart(6)} requests, ${String(s.errors).padStart(4)} errors, p50 ${percentile(s.ms, 50)?.toFixed(1)} ms, p99 ${percentile(s.ms, 99)?.toFixed(1)} ms`,
    );
    for (const e of s.examples) console.log(`      e.g. ${e}`);
  }
  all.sort((a, b) => a - b);
  console.log(
    `  provisions accepted during the load: ${stats.get('provision').ms.length - stats.get('provision').errors}, ${behind} of them not yet started when it ended, all started ${caughtUp.toFixed(1)} s later`,
  );
  console.log(
    `  all              ${all.length} requests, ${errors} errors, ${(all.length / elapsed).toFixed(0)} req/s, p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${percentile(all, 99).toFixed(1)} ms (target: 0 errors, p99 < 250 ms)`,
  );
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(
    `bench/load failed: ${e.message} (backend log: ${bench.logFile})`,
  );
  code = 1;
} finally {
  await bench.stop();
}
process.exit(code);
