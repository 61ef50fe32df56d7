#!/usr/bin/env node
/* eslint-disable no-console */
// bench/provision: provisioning requests accepted per second with p50/p99
// latency (target ≥ 200 req/s, p99 < 100 ms), and request-to-running time
// with the simulated driver (target ≤ 1 s median). Runs the real backend on
// PostgreSQL with three embedded simulated agents.
//
// Agents run as separate processes, as on real hosts, registered and enrolled
// through the API (BENCH_AGENTS=embedded runs them inside the backend instead).
// Acceptance is measured twice: saturated (BENCH_CONCURRENCY callers each
// sending the next request as soon as one answers: the most the server takes)
// and at a fixed offered rate (BENCH_RATE per second for BENCH_RATE_REQUESTS
// requests: the latency a user sees at that load).
//
// Environment: BENCH_PG (default postgresql://postgres@127.0.0.1:5432),
// BENCH_PORT (default 7207), BENCH_REQUESTS (default 1000), BENCH_CONCURRENCY
// (default 32), BENCH_SERIAL (default 20), BENCH_RATE (default 200),
// BENCH_RATE_REQUESTS (default 2000).
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { percentile } from '../lib/percentile.mjs';
import { root, startBenchBackend } from '../lib/startBenchBackend.mjs';
import { waitFor } from '../lib/waitFor.mjs';

const port = Number(process.env.BENCH_PORT ?? 7207);
const pg = process.env.BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const requests = Number(process.env.BENCH_REQUESTS ?? 1000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const serial = Number(process.env.BENCH_SERIAL ?? 20);
const rate = Number(process.env.BENCH_RATE ?? 200);
const rateRequests = Number(process.env.BENCH_RATE_REQUESTS ?? 2000);
const embedded = process.env.BENCH_AGENTS === 'embedded';
const agents = [];
const key = `${root}/catalog/channels/TEST-ONLY-signing-key/public-key.TEST-ONLY.asc`;
const bench = startBenchBackend({
  name: 'provision',
  port,
  pg,
  config: ({ work, api }) => `catalog:
  providers:
    tempestHosting:
      schedule: { frequency: { minutes: 10 }, timeout: { minutes: 1 } }
appliances:
  dataDir: ${work}/data
  provisioning: { concurrency: ${process.env.BENCH_RUNNERS ?? 8} }
  embeddedHosts: { count: ${embedded ? 3 : 0}, cpus: 100000, memoryMiB: 100000000, diskGiB: 1000000 }
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
const { base, api, runId, work } = bench;

async function main() {
  await waitFor(
    'the backend',
    async () => (await fetch(`${api}/health`)).ok,
    180_000,
  );
  // The guest's groups (tempest-admins, so it sees every host) come from the
  // catalog; sign in again until the catalog has them.
  const headers = { 'content-type': 'application/json' };
  const signIn = async () => {
    const { backstageIdentity } = await (
      await fetch(`${base}/api/auth/guest/refresh`, {
        headers: { 'X-Requested-With': 'XMLHttpRequest' },
      })
    ).json();
    headers.authorization = `Bearer ${backstageIdentity.token}`;
  };
  const get = async p => (await fetch(`${api}${p}`, { headers })).json();
  if (!embedded) {
    // A sign-in records the groups the catalog had stitched at that moment.
    await waitFor(
      'the guest to be a provider',
      async () => {
        await signIn();
        const { claims } = await (
          await fetch(`${base}/api/auth/v1/userinfo`, { headers })
        ).json();
        return claims?.ent?.includes('group:default/tempest-providers');
      },
      90_000,
    );
    for (let i = 1; i <= 3; i++) await startAgent(`sim-host-${i}`, headers);
  }
  await waitFor(
    'three online hosts',
    async () => {
      await signIn();
      return (
        (await get('/hosts')).items.filter(h => h.state === 'online').length ===
        3
      );
    },
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

  const provision = async (hostname, keySuffix) => {
    const started = performance.now();
    const res = await fetch(`${api}/instances`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `bench-${runId}-${keySuffix}` },
      body: JSON.stringify({ applianceId: appliance.id, hostname, size }),
    });
    const body = await res.json();
    return {
      status: res.status,
      ms: performance.now() - started,
      body,
      started,
    };
  };

  // Request-to-running, one at a time (also warms images on every host).
  const toRunning = [];
  const outcomes = {};
  for (let i = 0; i < serial; i++) {
    const r = await provision(`serial-${runId}-${i}`, `s${i}`);
    if (r.status !== 202)
      throw new Error(
        `provision answered ${r.status}: ${JSON.stringify(r.body)}`,
      );
    const op = await waitFor(
      'the operation to finish',
      async () => {
        const o = await get(`/operations/${r.body.operationId}`);
        return o.state === 'succeeded' || o.state === 'failed' ? o : undefined;
      },
      60_000,
    );
    outcomes[op.state] = (outcomes[op.state] ?? 0) + 1;
    if (op.state === 'succeeded') toRunning.push(performance.now() - r.started);
    else if (outcomes.failed === 1) console.log(`  first failure: ${op.error}`);
  }

  // The same load on GET /health shows what the server itself allows here.
  const healthT0 = performance.now();
  let healthNext = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (healthNext++ < requests)
        await (await fetch(`${api}/health`)).json();
    }),
  );
  const healthRate = requests / ((performance.now() - healthT0) / 1000);
  // And on the estimate, which takes the same auth, permission and validation path but writes nothing.
  const estimateT0 = performance.now();
  let estimateNext = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (estimateNext++ < requests) {
        await (
          await fetch(`${api}/instances/estimate`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              applianceId: appliance.id,
              hostname: 'estimate',
              size,
            }),
          })
        ).json();
      }
    }),
  );
  const estimateRate = requests / ((performance.now() - estimateT0) / 1000);

  // Accepted requests per second under concurrency.
  const latencies = [];
  let next = 0;
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const r = await provision(`load-${runId}-${i}`, `l${i}`);
        if (r.status === 202) latencies.push(r.ms);
        else refused++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);

  // The same requests arriving at a fixed rate, as users' requests do (open
  // loop): each latency counts from when its request was due, so a server that
  // falls behind is charged for the wait (no coordinated omission).
  const paced = [];
  let pacedRefused = 0;
  const pacedT0 = performance.now();
  await Promise.all(
    Array.from({ length: rateRequests }, async (_, i) => {
      const due = pacedT0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise(r => setTimeout(r, wait));
      const r = await provision(`paced-${runId}-${i}`, `p${i}`);
      if (r.status === 202) paced.push(performance.now() - due);
      else pacedRefused++;
    }),
  );
  const pacedSeconds = (performance.now() - pacedT0) / 1000;
  // The runner gives way to requests while they pour in; how far it got meanwhile.
  const startedCount = (await get('/instances?state=started&limit=1'))
    .totalCount;
  const allCount = (await get('/instances?limit=1')).totalCount;
  paced.sort((a, b) => a - b);
  toRunning.sort((a, b) => a - b);

  console.log(
    `provision requests: ${latencies.length} accepted, ${refused} refused, concurrency ${concurrency}, PostgreSQL, agents ${embedded ? 'in the backend' : 'as processes'}`,
  );
  console.log(
    `  saturated (closed loop): ${(latencies.length / seconds).toFixed(0)} accepted per second (target ≥ 200)`,
  );
  console.log(
    `    latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (${concurrency} callers always waiting)`,
  );
  console.log(
    `  offered ${rate} req/s for ${rateRequests} requests (open loop): ${paced.length} accepted, ${pacedRefused} refused, ${(paced.length / pacedSeconds).toFixed(0)} per second`,
  );
  console.log(
    `    latency p50 ${percentile(paced, 50).toFixed(1)} ms, p99 ${percentile(paced, 99).toFixed(1)} ms (target p99 < 100 ms)`,
  );
  console.log(
    `  provisioned while accepting: ${startedCount} of ${allCount} instances started by the end of the paced load`,
  );
  console.log(
    `  baseline GET /health: ${healthRate.toFixed(0)} req/s; POST /instances/estimate: ${estimateRate.toFixed(0)} req/s`,
  );
  console.log(
    `request to running (simulated driver): ${JSON.stringify(outcomes)} of ${serial}`,
  );
  if (toRunning.length) {
    console.log(
      `  median ${percentile(toRunning, 50).toFixed(0)} ms, p90 ${percentile(toRunning, 90).toFixed(0)} ms (target median ≤ 1000 ms)`,
    );
  }
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
    server.on('error', reject);
  });
}

/** Registers a host, enrols it with its one-time token and runs its agent as a process. */
async function startAgent(name, headers) {
  const agentPort = await freePort();
  const post = async (url, body) => {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    if (!res.ok)
      throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    return res.json();
  };
  const registered = await post(`${api}/hosts`, {
    name,
    cpuModel: 'Simulated CPU',
    coreSpeedMhz: 2400,
    cpuCores: 4096,
    memoryMb: 100000000,
    storageMb: 1000000000,
    pricing: {
      speedUnitMhz: 1000,
      speedPriceMinor: 2,
      memoryUnitMb: 1024,
      memoryPriceMinor: 1,
      runningPeriodSeconds: 3600,
      storageUnitMb: 10240,
      storagePriceMinor: 3,
      storagePeriodSeconds: 86400,
    },
    agentUrl: `https://127.0.0.1:${agentPort}`,
  });
  const enrolled = await post(registered.enrolment.enrolUrl, {
    token: registered.enrolment.token,
  });
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'ca.crt'), enrolled.caCert);
  fs.writeFileSync(path.join(dir, 'agent.crt'), enrolled.cert);
  fs.writeFileSync(path.join(dir, 'agent.key'), enrolled.key, { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'packages/provider-agent/bin/tempest-agent'),
      'serve',
      '--name',
      name,
      '--driver',
      'simulated',
      '--host',
      '127.0.0.1',
      '--port',
      String(agentPort),
      '--data-dir',
      path.join(dir, 'data'),
      '--tls-cert',
      path.join(dir, 'agent.crt'),
      '--tls-key',
      path.join(dir, 'agent.key'),
      '--tls-ca',
      path.join(dir, 'ca.crt'),
      '--backend-url',
      enrolled.heartbeatUrl,
      '--heartbeat-interval',
      '2',
      '--sim-cpus',
      '100000',
      '--sim-memory-mib',
      '100000000',
      '--sim-disk-gib',
      '1000000',
      '--log-level',
      'warn',
    ],
    {
      env: {
        ...process.env,
        TEMPEST_AGENT_BACKEND_TOKEN: enrolled.heartbeatToken,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr.pipe(fs.createWriteStream(path.join(dir, 'agent.log')));
  agents.push(child);
}

let code = 0;
try {
  await main();
} catch (e) {
  console.error(
    `bench/provision failed: ${e.message} (backend log: ${bench.logFile})`,
  );
  code = 1;
} finally {
  for (const agent of agents) agent.kill('SIGTERM');
  await bench.stop();
}
process.exit(code);
