#!/usr/bin/env node
/* eslint-disable no-console */
// bench/ingest: a generated channel of 10,000 STORM appliances, served over
// HTTP from this process, subscribed by the real backend on PostgreSQL.
// Prints the time to ingest it (feed + 10,000 definitions fetched, parsed and
// stored) and to see all 10,000 virtual-appliance entities in the catalog,
// the backend's peak memory, and the time of an unchanged refresh (one 304).
// Targets on this machine: ingest into the catalog ≤ 10 s, unchanged ≤ 100 ms.
//
// Environment: BENCH_PG (default postgresql://postgres@127.0.0.1:5432; `sqlite`
// for the embedded default's in-memory SQLite),
// BENCH_PORT (default 7209), BENCH_APPLIANCES (default 10000).
import http from 'node:http';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { percentile } from '../lib/percentile.mjs';
import { startBenchBackend } from '../lib/startBenchBackend.mjs';
import { waitFor } from '../lib/waitFor.mjs';

const port = Number(process.env.BENCH_PORT ?? 7209);
const pg = process.env.BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432';
const total = Number(process.env.BENCH_APPLIANCES ?? 10000);
const KINDS = [
  'webserv',
  'mailrelay',
  'spamfilter',
  'dns',
  'firewall',
  'database',
  'ldap',
  'loadbalancer',
];

/** The generated channel: every definition differs (service, version, hardware, dependencies). */
function definition(i) {
  const provides = `${KINDS[i % KINDS.length]}${Math.floor(i / 80)}`;
  const version = `1.${Math.floor(i / KINDS.length) % 10}.${i % 7}-${i % 3}`;
  const dep =
    i % 5 === 0
      ? `<dependency>${KINDS[(i + 1) % KINDS.length]}${Math.floor(i / 80)}</dependency>`
      : '';
  return `<?xml version='1.0' encoding='utf-8'?>
<appliance version='1.0'>
  <label>Generated ${KINDS[i % KINDS.length]} ${i}</label>
  <description>Appliance ${i} of a generated channel &amp; its hardware.</description>
  <version>${version}</version>
  <size>${256 + (i % 1024)}</size>
  <url>images/a${i}.tgz</url>
  <sig>images/a${i}.tgz.asc</sig>
  <provides>${provides}</provides>
  <webpanel>/admin/${i}</webpanel>
  <hardware>
    <cpus>${1 + (i % 4)}</cpus>
    <memory>${262144 * (1 + (i % 8))}</memory>
    <ostype>${i % 10 === 0 ? 'bsd' : 'linux'}</ostype>
    <disk name="vda1" type="system" file="sys.img" />
    <disk name="vda2" type="swap" size="128" />
  </hardware>
  ${dep}
</appliance>
`;
}

const feedXml = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Generated bench channel</title>
${Array.from({ length: total }, (_, i) => `<item><title>a${i}</title><guid>bench/a${i}</guid><link>defs/a${i}.xml</link></item>`).join('\n')}
</channel></rss>`;
const feedEtag = `"${createHash('sha1').update(feedXml).digest('hex')}"`;

const channelServer = http.createServer((req, res) => {
  if (req.url === '/feed.xml') {
    if (req.headers['if-none-match'] === feedEtag)
      return res.writeHead(304, { etag: feedEtag }).end();
    return res
      .writeHead(200, { etag: feedEtag, 'content-type': 'application/rss+xml' })
      .end(feedXml);
  }
  const m = /^\/defs\/a(\d+)\.xml$/.exec(req.url);
  if (m && Number(m[1]) < total)
    return res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end(definition(Number(m[1])));
  return res.writeHead(404).end();
});
await new Promise(r => channelServer.listen(0, '127.0.0.1', r));
const feedUrl = `http://127.0.0.1:${channelServer.address().port}/feed.xml`;

const bench = startBenchBackend({
  name: 'ingest',
  port,
  pg,
  config: ({ work }) => `appliances:
  dataDir: ${work}/data
  embeddedHosts: { count: 0 }
  fetch: { maxItems: ${Math.max(20000, total)}, concurrency: 32 }
  # The scheduled task stays out of the way; the bench refreshes through the API.
  schedule: { frequency: { hours: 24 }, timeout: { minutes: 15 }, initialDelay: { hours: 24 } }
  channels:
    - id: bench
      url: ${feedUrl}
      owner: group:default/tempest-admins
# The catalog module refreshes on the appliances backend's change event; its
# schedule is only the fallback, kept out of the measurement.
catalog:
  providers:
    tempestAppliances:
      schedule: { frequency: { hours: 24 }, timeout: { minutes: 5 }, initialDelay: { hours: 24 } }
`,
});
const { base, api } = bench;

/** Peak resident memory of the backend's node processes, from /proc (VmHWM). */
function backendPeakMb() {
  let peak = 0;
  for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('packages/backend') && !cmd.includes(`bench-ingest`))
        continue;
      if (!/node/.test(cmd)) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(
        fs.readFileSync(`/proc/${pid}/status`, 'utf8'),
      );
      if (hwm && cmd.includes('src/index'))
        peak = Math.max(peak, Number(hwm[1]) / 1024);
    } catch (e) {
      // The process ended while we read it.
      if (e.code !== 'ENOENT' && e.code !== 'ESRCH') throw e;
    }
  }
  return peak;
}

try {
  await waitFor(
    'the backend',
    async () => (await fetch(`${api}/health`)).ok,
    180_000,
  );
  const guestToken = async () =>
    (
      await (
        await fetch(`${base}/api/auth/guest/refresh`, {
          headers: { 'X-Requested-With': 'XMLHttpRequest' },
        })
      ).json()
    ).backstageIdentity.token;
  const headers = { authorization: `Bearer ${await guestToken()}` };
  const catalogCount = async () => {
    const res = await fetch(
      `${base}/api/catalog/entities/by-query?filter=spec.type=virtual-appliance&limit=1`,
      { headers },
    );
    return (await res.json()).totalItems ?? 0;
  };
  await waitFor(
    'the guest to be an admin',
    async () => {
      const res = await fetch(
        `${base}/api/catalog/entities/by-name/user/development/guest`,
        { headers },
      );
      return res.ok;
    },
    120_000,
  );
  // Its groups (tempest-admins) are in the token only once the catalog has the user.
  headers.authorization = `Bearer ${await guestToken()}`;

  const started = performance.now();
  const refresh = await fetch(`${api}/channels/bench/refresh`, {
    method: 'POST',
    headers,
  });
  const outcome = await refresh.json();
  const ingestMs = performance.now() - started;
  if (outcome.result !== 'ok')
    throw new Error(`refresh: ${JSON.stringify(outcome).slice(0, 300)}`);
  // When the provider hands the entities to the catalog (its log line, watched
  // as it happens): what follows is the catalog's own processing and stitching.
  const appliedLine = `Applied ${outcome.appliances} appliance entities`;
  let logFrom = 0;
  let applied;
  const watchLog = () => {
    if (applied) return;
    const text = fs.readFileSync(bench.logFile, 'utf8');
    if (text.indexOf(appliedLine, logFrom) >= 0)
      applied = performance.now() - started;
    logFrom = Math.max(0, text.length - appliedLine.length);
  };
  await waitFor(
    'every appliance in the catalog',
    async () => {
      watchLog();
      return (await catalogCount()) >= outcome.appliances;
    },
    600_000,
  );
  const catalogMs = performance.now() - started;

  const unchanged = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const res = await (
      await fetch(`${api}/channels/bench/refresh`, { method: 'POST', headers })
    ).json();
    unchanged.push(performance.now() - t);
    if (res.result !== 'not-modified')
      throw new Error(`expected not-modified, got ${res.result}`);
  }

  unchanged.sort((a, b) => a - b);
  console.log(
    `ingest a generated channel of ${total} appliances (${pg === 'sqlite' ? 'SQLite in memory' : 'PostgreSQL'}, real backend, definitions over HTTP)`,
  );
  console.log(
    `  stored by the appliances backend: ${outcome.appliances} appliances, ${outcome.itemErrors.length} item errors, ${(ingestMs / 1000).toFixed(2)} s`,
  );
  console.log(
    `  all ${outcome.appliances} virtual-appliance entities in the catalog: ${(catalogMs / 1000).toFixed(2)} s after the refresh began (target ≤ 10 s)`,
  );
  if (applied) {
    const catalogOwnMs = catalogMs - applied;
    console.log(
      `    of which: appliance entities handed to the catalog (one full mutation) after ${(applied / 1000).toFixed(2)} s; the catalog's processing and stitching ${(catalogOwnMs / 1000).toFixed(2)} s (${(outcome.appliances / (catalogOwnMs / 1000)).toFixed(0)} entities/s)`,
    );
  }
  console.log(
    `  backend peak resident memory: ${backendPeakMb().toFixed(0)} MB`,
  );
  console.log(
    `  unchanged refresh (one 304), 20 runs: p50 ${percentile(unchanged, 50).toFixed(1)} ms, p99 ${percentile(unchanged, 99).toFixed(1)} ms (target ≤ 100 ms)`,
  );
} catch (e) {
  console.error(
    `bench/ingest failed: ${e.message}; backend log: ${bench.logFile}`,
  );
  process.exitCode = 1;
} finally {
  await bench.stop();
  channelServer.close();
}
