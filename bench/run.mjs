#!/usr/bin/env node
// Runs every benchmark (bench/<name>/run.mjs) or the ones named on the command line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const all = fs
  .readdirSync(here, { withFileTypes: true })
  .filter(
    d => d.isDirectory() && fs.existsSync(path.join(here, d.name, 'run.mjs')),
  )
  .map(d => d.name);
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
let failed = 0;
for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`No benchmark '${name}'; have: ${all.join(', ')}`);
    failed++;
    continue;
  }
  console.log(`\n== bench/${name}`);
  const { status } = spawnSync(
    process.execPath,
    [path.join(here, name, 'run.mjs')],
    {
      stdio: 'inherit',
    },
  );
  if (status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
