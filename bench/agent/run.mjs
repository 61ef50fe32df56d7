#!/usr/bin/env node
// Prints figures for the provider agent:
//  1. time and disk use of 50 instance disks (qcow2 overlays over one appliance,
//     created through the API) against 50 full copies of the flattened image;
//  2. p50/p99 latency of GET /v1/info and GET /v1/domains/{name}/state under
//     50 concurrent mutual-TLS callers.
// Usage: node bench/agent/run.mjs [--base-mib 256] [--disks 50] [--callers 50] [--requests 40]
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
require('@backstage/cli/config/nodeTransform.cjs');
const {
  allocatedBytes,
  startChannel,
  startTestAgent,
  waitFor,
} = require('@tempest/provider-agent/testing');
const {
  createAgentClient,
} = require('@tempest/backstage-plugin-appliances-common/agent');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const BASE_MIB = arg('base-mib', 256);
const DISKS = arg('disks', 50);
const CALLERS = arg('callers', 50);
const REQUESTS = arg('requests', 40);

const mib = n => `${(n / 1024 ** 2).toFixed(1)} MiB`;
const ms = n => `${n.toFixed(1)} ms`;
const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function install(t, channel, kind, name, file, extra = {}) {
  const body = await channel.publish(
    `/${kind}/${name}`,
    await fs.readFile(file),
    extra,
  );
  const res = await t.client.PUT('/v1/images/{kind}/{name}', {
    params: { path: { kind, name } },
    body,
  });
  const id = res.data.id;
  const done = await waitFor(
    async () =>
      (await t.client.GET('/v1/downloads/{id}', { params: { path: { id } } }))
        .data,
    d => !['downloading', 'verifying', 'installing'].includes(d.state),
    600_000,
  );
  if (done.state !== 'done')
    throw new Error(`install ${name}: ${JSON.stringify(done.error)}`);
}

async function layeredDisks() {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-bench-disks-'));
  const channel = await startChannel();
  const t = await startTestAgent(
    { driver: 'libvirt', hypervisor: { uri: 'test:///default' } },
    { dir: path.join(work, 'agent') },
  );
  try {
    // A fully written base: random data, so neither side gains from sparse files.
    const raw = path.join(work, 'os.raw');
    const handle = await fs.open(raw, 'w');
    for (let i = 0; i < BASE_MIB; i++)
      await handle.write(randomBytes(1024 * 1024));
    await handle.close();
    const osImage = path.join(work, 'os.qcow2');
    execFileSync('qemu-img', [
      'convert',
      '-q',
      '-f',
      'raw',
      '-O',
      'qcow2',
      raw,
      osImage,
    ]);
    await fs.rm(raw);
    const appImage = path.join(work, 'app.qcow2');
    execFileSync('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      appImage,
      `${BASE_MIB}M`,
    ]);
    execFileSync('qemu-io', [
      '-f',
      'qcow2',
      '-c',
      'write -P 0x61 0 16M',
      appImage,
    ]);

    await install(t, channel, 'os', 'bench-os', osImage);
    await install(t, channel, 'appliance', 'bench-app', appImage, {
      os: 'bench-os',
    });
    const imagesBytes = await allocatedBytes(
      path.join(t.config.dataDir, 'images'),
    );

    const started = process.hrtime.bigint();
    for (let i = 0; i < DISKS; i++) {
      const res = await t.client.POST('/v1/disks', {
        body: {
          name: `i-${i}`,
          appliance: 'bench-app',
          seed: { hostname: `i-${i}`, domain: 'bench.example' },
        },
      });
      if (res.response.status !== 201)
        throw new Error(JSON.stringify(res.error));
    }
    const overlayMs = Number(process.hrtime.bigint() - started) / 1e6;
    const overlayBytes =
      (await allocatedBytes(path.join(t.config.dataDir, 'disks'))) +
      (await allocatedBytes(path.join(t.config.dataDir, 'deployments')));

    // Full copies: the appliance flattened once, then copied per instance.
    const flat = path.join(work, 'flat.qcow2');
    execFileSync('qemu-img', [
      'convert',
      '-q',
      '-O',
      'qcow2',
      path.join(t.config.dataDir, 'images/appliance/bench-app/1.0.0.qcow2'),
      flat,
    ]);
    const copies = path.join(work, 'copies');
    await fs.mkdir(copies);
    const copyStarted = process.hrtime.bigint();
    for (let i = 0; i < DISKS; i++) {
      // Plain read/write copy: a full copy is what a host without layering does.
      const src = await fs.open(flat, 'r');
      const dst = await fs.open(path.join(copies, `i-${i}.qcow2`), 'w');
      const buf = Buffer.alloc(8 * 1024 * 1024);
      for (;;) {
        const { bytesRead } = await src.read(buf, 0, buf.length);
        if (!bytesRead) break;
        await dst.write(buf, 0, bytesRead);
      }
      await src.close();
      await dst.sync();
      await dst.close();
    }
    const copyMs = Number(process.hrtime.bigint() - copyStarted) / 1e6;
    const copyBytes = await allocatedBytes(copies);

    console.log(
      `\n## ${DISKS} instance disks over one appliance (base ${BASE_MIB} MiB of random data)`,
    );
    console.log(`shared OS + appliance images:     ${mib(imagesBytes)}`);
    console.log(
      `layered (API, qcow2 + seed ISO):  ${ms(overlayMs)} total, ${ms(overlayMs / DISKS)} per disk, ${mib(overlayBytes)} on disk`,
    );
    console.log(
      `full copies (flattened qcow2):    ${ms(copyMs)} total, ${ms(copyMs / DISKS)} per disk, ${mib(copyBytes)} on disk`,
    );
    console.log(
      `space: layered is ${(copyBytes / overlayBytes).toFixed(0)}x smaller; time: ${(copyMs / overlayMs).toFixed(1)}x faster`,
    );
  } finally {
    await t.close();
    await channel.close();
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function latency() {
  const t = await startTestAgent({ driver: 'simulated' });
  try {
    const channel = await startChannel();
    const tiny = path.join(t.dir, 'tiny.img');
    await fs.writeFile(tiny, Buffer.alloc(4096, 1));
    await install(t, channel, 'os', 'os', tiny);
    await install(t, channel, 'appliance', 'app', tiny, { os: 'os' });
    await channel.close();
    await t.client.POST('/v1/disks', {
      body: { name: 'web-1', appliance: 'app' },
    });
    await t.client.PUT('/v1/domains/{name}', {
      params: { path: { name: 'web-1' } },
      body: { vcpus: 1, memoryMiB: 512, disk: 'web-1' },
    });
    await t.client.POST('/v1/domains/{name}/start', {
      params: { path: { name: 'web-1' } },
    });

    const callers = Array.from({ length: CALLERS }, () =>
      createAgentClient({
        baseUrl: t.agent.url,
        ca: t.pki.ca.cert,
        cert: t.pki.client.cert,
        key: t.pki.client.key,
      }),
    );
    const times = { info: [], state: [] };
    const call = async (client, kind) => {
      const start = process.hrtime.bigint();
      const res =
        kind === 'info'
          ? await client.GET('/v1/info')
          : await client.GET('/v1/domains/{name}/state', {
              params: { path: { name: 'web-1' } },
            });
      if (res.response.status !== 200)
        throw new Error(`${kind}: ${res.response.status}`);
      times[kind].push(Number(process.hrtime.bigint() - start) / 1e6);
    };
    // Warm-up: TLS handshakes and first-use compilation are not what we measure.
    await Promise.all(callers.map(c => call(c, 'state')));
    times.state.length = 0;
    const wall = process.hrtime.bigint();
    await Promise.all(
      callers.map(async (client, n) => {
        for (let i = 0; i < REQUESTS; i++)
          await call(client, (i + n) % 2 ? 'info' : 'state');
      }),
    );
    const wallMs = Number(process.hrtime.bigint() - wall) / 1e6;
    for (const c of callers) c.close();
    console.log(
      `\n## API latency, ${CALLERS} concurrent mTLS callers x ${REQUESTS} requests (simulated driver)`,
    );
    for (const kind of ['info', 'state']) {
      const sorted = times[kind].sort((a, b) => a - b);
      const label =
        kind === 'info' ? 'GET /v1/info' : 'GET /v1/domains/{name}/state';
      console.log(
        `${label.padEnd(30)} n=${sorted.length} p50 ${ms(pct(sorted, 50))}  p99 ${ms(pct(sorted, 99))}  max ${ms(sorted[sorted.length - 1])}`,
      );
    }
    console.log(
      `throughput: ${((CALLERS * REQUESTS) / (wallMs / 1000)).toFixed(0)} requests/s`,
    );
  } finally {
    await t.close();
  }
}

console.log(
  `tempest-agent bench on ${os.cpus().length} CPUs, node ${process.version}`,
);
await layeredDisks();
await latency();
