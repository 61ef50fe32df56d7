#!/usr/bin/env node
/* eslint-disable no-console */
// Boots each built sample image under TCG (qemu-system-x86_64, no KVM, user
// networking) and prints the time from power-on to each boot stage and to the
// appliance's service answering its protocol, and each layer's size.
//
//   npm run images && node bench/images/run.mjs [--images DIR] [--only dns,mailrelay]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as probes from './probes.mjs';

const repo = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../..',
);
const { values: opts } = parseArgs({
  options: {
    images: { type: 'string', default: path.join(repo, '.tempest/images') },
    only: { type: 'string' },
    'memory-mib': { type: 'string', default: '256' },
  },
});
const manifestFile = path.join(opts.images, 'manifest.json');
if (!fs.existsSync(manifestFile)) {
  console.log(
    `No images in ${opts.images}: run \`npm run images\` first. Nothing measured.`,
  );
  process.exit(0);
}
const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
const osLayer = manifest.layers[0];
const osImage = path.join(opts.images, 'os-images', osLayer.layer);
// What the build wrote: each appliance layer and how to tell its service answers.
const appliances = Object.fromEntries(
  manifest.layers.filter(l => l.appliance).map(l => [l.appliance, l]),
);
const names = (opts.only?.split(',') ?? Object.keys(appliances)).filter(n =>
  fs.existsSync(path.join(opts.images, 'channels/sample', `${n}.qcow2`)),
);

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

async function bootAndProbe(name, index) {
  const { probe } = appliances[name];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-bench-images-'));
  const hostname = `bench-${name.replace(/[^a-z0-9]/g, '')}`.slice(0, 30);
  const fqdn = `${hostname}.bench.test`;
  try {
    const f = n => path.join(dir, n);
    fs.copyFileSync(osImage, f('os.qcow2'));
    fs.copyFileSync(
      path.join(opts.images, 'channels/sample', `${name}.qcow2`),
      f('app.qcow2'),
    );
    run('qemu-img', [
      'rebase',
      '-u',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      f('os.qcow2'),
      f('app.qcow2'),
    ]);
    run('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      f('app.qcow2'),
      f('disk.qcow2'),
      '2G',
    ]);
    fs.mkdirSync(f('seed/tempest'), { recursive: true });
    fs.writeFileSync(
      f('seed/meta-data'),
      `instance-id: ${hostname}\nlocal-hostname: ${hostname}\n`,
    );
    fs.writeFileSync(f('seed/user-data'), `#cloud-config\nfqdn: ${fqdn}\n`);
    fs.writeFileSync(f('seed/tempest/hostname'), `${hostname}\n`);
    fs.writeFileSync(f('seed/tempest/fqdn'), `${fqdn}\n`);
    run('genisoimage', [
      '-quiet',
      '-o',
      f('seed.iso'),
      '-volid',
      'cidata',
      '-joliet',
      '-rock',
      f('seed'),
    ]);

    const port = 20000 + index * 10 + (process.pid % 10);
    const fwd = `hostfwd=${probe.proto ?? 'tcp'}:127.0.0.1:${port}-:${probe.port}`;
    const started = Date.now();
    const stages = {};
    const qemu = spawn(
      'qemu-system-x86_64',
      [
        '-machine',
        'accel=tcg',
        '-m',
        opts['memory-mib'],
        '-display',
        'none',
        '-monitor',
        'none',
        '-serial',
        'stdio',
        '-no-reboot',
        '-drive',
        `file=${f('disk.qcow2')},if=virtio`,
        '-drive',
        `file=${f('seed.iso')},if=virtio,format=raw,readonly=on`,
        '-nic',
        `user,model=virtio-net-pci,${fwd}`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let serial = '';
    qemu.stdout.on('data', chunk => {
      serial += chunk.toString('latin1');
      const mark = (key, re) =>
        (stages[key] ??= re.test(serial) ? Date.now() - started : undefined);
      mark('address', /tempest: address/);
    });
    let answer;
    const deadline = started + 240_000;
    while (Date.now() < deadline && qemu.exitCode === null) {
      try {
        answer = await Promise.race([
          probes[probe.kind](
            '127.0.0.1',
            port,
            probe.kind === 'dns' ? fqdn : hostname,
            probe.path,
          ),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error('probe timed out')), 5000),
          ),
        ]);
        stages.service = Date.now() - started;
        break;
      } catch {
        await new Promise(r => setTimeout(r, 250));
      }
    }
    qemu.kill('SIGKILL');
    await new Promise(r =>
      qemu.exitCode !== null ? r() : qemu.once('exit', r),
    );
    if (!answer)
      console.error(
        `${name}: no answer; serial console tail:\n${serial.slice(-1500)}`,
      );
    return { name, stages, answer };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const s = ms => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
console.log(
  `TCG guests (${opts['memory-mib']} MiB, 1 vCPU) on ${os.cpus().length} cores: seconds from power-on`,
);
const rows = [];
for (const [i, name] of names.entries()) {
  const { stages, answer } = await bootAndProbe(name, i);
  const layer = manifest.layers.find(l => l.layer === `${name}.qcow2`);
  rows.push({
    layer: name,
    MiB: layer ? (layer.bytes / 2 ** 20).toFixed(1) : '?',
    'DHCP address': s(stages.address),
    'service answers': s(stages.service),
    answer: (answer ?? 'none').slice(0, 60),
  });
}
console.log(
  `OS substrate ${osLayer.layer}: ${(osLayer.bytes / 2 ** 20).toFixed(1)} MiB`,
);
console.table(rows);
