// Preloaded with NODE_OPTIONS=--require (node refuses --cpu-prof there): profiles
// the backend process and writes a .cpuprofile to BENCH_CPU_PROF when it exits.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

if (process.argv.some(a => /(^|\/)src\/index(\.ts)?$/.test(a))) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    // Main-thread sessions answer synchronously, so this completes inside 'exit'.
    session.post('Profiler.stop', (err, { profile } = {}) => {
      if (err) return;
      fs.writeFileSync(
        path.join(
          process.env.BENCH_CPU_PROF,
          `backend-${process.pid}.cpuprofile`,
        ),
        JSON.stringify(profile),
      );
    });
  });
}
