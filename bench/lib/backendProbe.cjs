// Preloaded into the backend with NODE_OPTIONS=--require (see startBenchBackend's
// `probe`): counts the statements sent to PostgreSQL and answers
// GET http://127.0.0.1:$BENCH_PROBE_PORT/ with the process's CPU time and that
// count per plugin database, so a bench can work out CPU and queries per request from two readings.
const http = require('node:http');

if (process.argv.some(a => /(^|\/)src\/index(\.ts)?$/.test(a))) {
  const queries = {};
  const fs = require('node:fs');
  const log = process.env.BENCH_LOG_STATEMENTS;
  const { Client } = require(require.resolve('pg', { paths: [process.cwd()] }));
  const query = Client.prototype.query;
  Client.prototype.query = function counted(...args) {
    const db = this.database ?? this.connectionParameters?.database ?? '?';
    // Per plugin: bench databases are named <prefix><plugin>.
    const plugin = String(db).replace(/^bench_[^_]+_/, '');
    queries[plugin] = (queries[plugin] ?? 0) + 1;
    // BENCH_LOG_STATEMENTS=<file>: every statement's text, on the profile clock, to see what a phase sends.
    if (log)
      fs.appendFileSync(
        log,
        `${process.hrtime.bigint() / 1000n} ${plugin} ${String(
          typeof args[0] === 'string' ? args[0] : args[0]?.text,
        )
          .replace(/\s+/g, ' ')
          .slice(0, 300)}\n`,
      );
    return query.apply(this, args);
  };
  http
    .createServer((_req, res) => {
      const { user, system } = process.cpuUsage();
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          cpuMicros: user + system,
          queries,
          // The clock of V8's CPU profiles, to cut a profile into phases.
          monoMicros: Number(process.hrtime.bigint() / 1000n),
        }),
      );
    })
    .listen(Number(process.env.BENCH_PROBE_PORT), '127.0.0.1')
    .unref();
}
