/* eslint-disable no-console */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './waitFor.mjs';

export const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);

/**
 * Starts the real backend (`backstage-cli package start` in packages/backend) on
 * PostgreSQL with databases prefixed `bench_<run>_` (or, with `pg: 'sqlite'`, on
 * the embedded default's in-memory SQLite), in a fresh temporary folder.
 * `config({ work, base, api })` gives the YAML that follows the backend section.
 * `stop()` ends the backend and drops this run's databases. With `probePort`,
 * `probe()` reads the backend's CPU time (µs) and the statements it sent to
 * PostgreSQL so far (lib/backendProbe.cjs).
 */
export function startBenchBackend({ name, port, pg, config, probePort }) {
  const base = `http://localhost:${port}`;
  const api = `${base}/api/appliances`;
  const runId = Date.now().toString(36);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  const logFile = path.join(work, 'backend.log');

  fs.writeFileSync(
    path.join(work, 'bench.yaml'),
    `backend:
  baseUrl: ${base}
  listen: { port: ${port} }
  database:
${
  pg === 'sqlite'
    ? `    client: better-sqlite3
    connection: ':memory:'`
    : `    client: pg
    connection: ${pg}
    prefix: bench_${runId}_`
}
# Production mode (below) keeps guest sign-in only when asked to; the bench signs in as the guest.
auth:
  providers:
    guest:
      dangerouslyAllowOutsideDevelopment: true
${config({ work, base, api })}`,
  );

  // The backend writes its log straight to the file: piped through this process, its
  // synchronous stdout writes would wait on the load generator's event loop.
  const logFd = fs.openSync(logFile, 'w');
  const backend = spawn(
    'npx',
    [
      'backstage-cli',
      'package',
      'start',
      '--config',
      '../../app-config.yaml',
      '--config',
      path.join(work, 'bench.yaml'),
    ],
    {
      cwd: path.join(root, 'packages/backend'),
      stdio: ['ignore', logFd, logFd],
      detached: true,
      // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the backend there, to see where the time goes.
      // NODE_ENV=production as deployed: JSON log lines instead of the development console format.
      env: {
        ...process.env,
        NODE_ENV: 'production',
        ...(process.env.BENCH_CPU_PROF
          ? { BENCH_CPU_PROF: path.resolve(process.env.BENCH_CPU_PROF) }
          : {}),
        ...(probePort ? { BENCH_PROBE_PORT: String(probePort) } : {}),
        NODE_OPTIONS:
          process.env.BENCH_PRELOAD ??
          [
            process.env.BENCH_CPU_PROF &&
              `--require ${path.join(root, 'bench/lib/cpuProfile.cjs')}`,
            probePort &&
              `--require ${path.join(root, 'bench/lib/backendProbe.cjs')}`,
            process.env.NODE_OPTIONS,
          ]
            .filter(Boolean)
            .join(' '),
      },
    },
  );
  fs.closeSync(logFd);

  /** Drops the per-plugin databases this run created (prefix bench_<runId>_). */
  async function dropDatabases() {
    if (pg === 'sqlite') return;
    const { Client } = (await import('pg')).default;
    const client = new Client({ connectionString: pg });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`bench_${runId}_%`],
      );
      for (const { datname } of rows)
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  }

  async function stop() {
    try {
      process.kill(-backend.pid, 'SIGTERM');
    } catch (e) {
      // ESRCH: already gone.
      if (e.code !== 'ESRCH') throw e;
    }
    await sleep(3000);
    await dropDatabases().catch(e =>
      console.error(`could not drop bench databases: ${e.message}`),
    );
  }

  /** The backend's CPU time in µs and PostgreSQL statements so far. */
  async function probe() {
    const res = await fetch(`http://127.0.0.1:${probePort}/`);
    return res.json();
  }

  return { base, api, runId, work, logFile, stop, probe };
}
