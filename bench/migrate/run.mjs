#!/usr/bin/env node
// Prints the measured transfer speed of a disk migration between two real agents
// (one shared CA, each with its own enrolled host id, as the backend's agents are):
// per size, an instance disk on agent A whose instance layer holds N MiB of random
// data is exported to B (POST /v1/disks/{name}/exports) and imported on B
// (POST /v1/imports, rsync over mutual TLS), polled every 100 ms. Printed: bytes
// moved, wall time from POST /v1/imports to done, MiB/s, the agent's own import time
// (startedAt..finishedAt), the largest gap between successive heartbeatAt values
// seen, and the 1-minute load average at the start of each size.
// Disk store: qemu-img when qemu-img and qemu-io are on PATH, else (or with
// --store simulated) the simulated one.
// Both agents run in this one Node process (their TLS ends share its event loop);
// the rsync client and server are child processes. Needs rsync.
// Usage: node bench/migrate/run.mjs [--sizes 64,256,1024] [--store simulated]
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
require('@backstage/cli/config/nodeTransform.cjs');
// The agent is a workspace package; bench/package.json does not list it (nor does
// it for bench/agent), and the lock file is outside bench/.
/* eslint-disable @backstage/no-undeclared-imports */
const {
  createCertificateAuthority,
  QemuImgDiskStore,
} = require('@tempest/provider-agent');
const {
  findTool,
  qcow2Image,
  startChannel,
  startTestAgent,
  waitFor,
} = require('@tempest/provider-agent/testing');
/* eslint-enable @backstage/no-undeclared-imports */

const argText = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZES = argText('sizes', '64,256,1024')
  .split(',')
  .map(Number)
  .filter(n => n > 0);
const POLL_MS = 100;

const MiB = 1024 ** 2;
const sleep = ms => new Promise(r => setTimeout(r, ms));
const load = () => os.loadavg()[0].toFixed(2);

const hasTool = async name => Boolean(await findTool(name));
if (!(await hasTool('rsync'))) {
  console.error(
    'bench/migrate needs rsync on PATH (the agent moves disks with it)',
  );
  process.exit(1);
}
const qemu =
  argText('store', '') === 'simulated'
    ? false
    : (await hasTool('qemu-img')) && (await hasTool('qemu-io'));
const storeName = qemu ? 'qemu-img' : 'simulated';

async function install(t, channel, kind, name, body, extra = {}) {
  const req = await channel.publish(`/${kind}/${name}`, body, extra);
  const res = await t.client.PUT('/v1/images/{kind}/{name}', {
    params: { path: { kind, name } },
    body: req,
  });
  const id = res.data.id;
  const done = await waitFor(
    async () =>
      (await t.client.GET('/v1/downloads/{id}', { params: { path: { id } } }))
        .data,
    d => !['downloading', 'verifying', 'installing'].includes(d.state),
    120_000,
  );
  if (done.state !== 'done')
    throw new Error(`install ${name}: ${JSON.stringify(done.error)}`);
}

async function startHost(work, ca, hostId) {
  const dir = path.join(work, hostId);
  await fs.mkdir(dir);
  const t = await startTestAgent(
    { name: hostId },
    {
      dir,
      pki: { ca, hostId },
      drivers: qemu
        ? { diskStore: new QemuImgDiskStore(path.join(dir, 'data')) }
        : {},
    },
  );
  return {
    t,
    fingerprint: new X509Certificate(t.pki.server.cert).fingerprint256,
  };
}

/** N MiB of random data into the instance layer, as a guest would write it. */
async function fill(work, diskPath, sizeMiB) {
  if (qemu) {
    const raw = path.join(work, 'fill.raw');
    const handle = await fs.open(raw, 'w');
    for (let i = 0; i < sizeMiB; i++) await handle.write(randomBytes(MiB));
    await handle.close();
    execFileSync('qemu-io', [
      '-f',
      'qcow2',
      '-c',
      `write -q -s ${raw} 0 ${sizeMiB}M`,
      diskPath,
    ]);
    await fs.rm(raw);
  } else {
    // The simulated store's layers are plain files (as the migration test fills them).
    const handle = await fs.open(diskPath, 'a');
    for (let i = 0; i < sizeMiB; i++) await handle.write(randomBytes(MiB));
    await handle.close();
  }
}

async function migrate(work, a, b, sizeMiB) {
  const name = `m-${sizeMiB}`;
  const created = await a.t.client.POST('/v1/disks', {
    body: { name, appliance: 'bench-app', seed: { hostname: name } },
  });
  if (created.response.status !== 201)
    throw new Error(`create ${name}: ${JSON.stringify(created.error)}`);
  await fill(work, created.data.path, sizeMiB);

  const exported = await a.t.client.POST('/v1/disks/{name}/exports', {
    params: { path: { name } },
    body: {
      peer: {
        hostId: b.t.config.name,
        certificateFingerprint256: b.fingerprint,
      },
    },
  });
  if (exported.response.status !== 201)
    throw new Error(`export ${name}: ${JSON.stringify(exported.error)}`);

  const loadAtStart = load();
  const started = process.hrtime.bigint();
  const res = await b.t.client.POST('/v1/imports', {
    body: {
      disk: name,
      source: {
        agentUrl: a.t.agent.url,
        hostId: a.t.config.name,
        certificateFingerprint256: a.fingerprint,
        exportId: exported.data.id,
      },
    },
  });
  if (res.response.status !== 202)
    throw new Error(`import ${name}: ${JSON.stringify(res.error)}`);
  const id = res.data.id;
  const beats = [];
  let view;
  for (;;) {
    view = (
      await b.t.client.GET('/v1/imports/{id}', { params: { path: { id } } })
    ).data;
    const at = Date.parse(view.heartbeatAt);
    if (beats[beats.length - 1] !== at) beats.push(at);
    if (view.state !== 'transferring') break;
    await sleep(POLL_MS);
  }
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (view.state !== 'done')
    throw new Error(
      `import ${name}: ${view.state} ${JSON.stringify(view.error)}`,
    );
  let maxGap = 0;
  for (let i = 1; i < beats.length; i++)
    maxGap = Math.max(maxGap, beats[i] - beats[i - 1]);
  const agentMs = Date.parse(view.finishedAt) - Date.parse(view.startedAt);

  console.log(
    [
      `${String(sizeMiB).padStart(6)} MiB`,
      `${(view.bytesDone / MiB).toFixed(1).padStart(8)} MiB moved`,
      `${(wallMs / 1000).toFixed(2).padStart(6)} s wall`,
      `${(view.bytesDone / MiB / (wallMs / 1000)).toFixed(1).padStart(6)} MiB/s`,
      `agent ${(agentMs / 1000).toFixed(2)} s`,
      `heartbeat max gap ${maxGap} ms (${beats.length} values)`,
      `load ${loadAtStart}`,
    ].join('  '),
  );

  // Room for the next size: the disk leaves both hosts.
  await a.t.client.DELETE('/v1/disks/{name}/exports/{id}', {
    params: { path: { name, id: exported.data.id } },
  });
  for (const host of [a, b])
    await host.t.client.DELETE('/v1/disks/{name}', {
      params: { path: { name } },
    });
}

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-bench-migrate-'));
let channel;
const hosts = [];
try {
  console.log(
    `tempest migration bench on ${os.cpus().length} CPUs, node ${process.version}, ` +
      `${storeName} disk store, load ${os
        .loadavg()
        .map(l => l.toFixed(2))
        .join(' ')}`,
  );
  const ca = await createCertificateAuthority();
  channel = await startChannel();
  hosts.push(await startHost(work, ca, 'bench-a'));
  hosts.push(await startHost(work, ca, 'bench-b'));
  const [a, b] = hosts;
  // Empty base layers, large enough (virtual size) for the biggest instance layer.
  const base = qcow2Image((Math.ceil(Math.max(...SIZES) / 1024) + 4) * 4096);
  for (const host of hosts) {
    await install(host.t, channel, 'os', 'bench-os', base);
    await install(host.t, channel, 'appliance', 'bench-app', base, {
      os: 'bench-os',
    });
  }
  console.log(
    `\n## export on A, import on B (rsync over mutual TLS), polled every ${POLL_MS} ms`,
  );
  for (const size of SIZES) await migrate(work, a, b, size);
  console.log(
    '\nno delta pass: an import needs the disk absent on B (DISK_EXISTS) and stages into a ' +
      'fresh folder, so rsync never has a basis to send a delta against.',
  );
} finally {
  for (const host of hosts) await host.t.close();
  await channel?.close();
  await fs.rm(work, { recursive: true, force: true });
}
