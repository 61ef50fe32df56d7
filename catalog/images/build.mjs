#!/usr/bin/env node
// @ts-check
/* eslint-disable no-console */
// Builds the sample channel's images from Debian packages, without root:
// the OS substrate (linux-base) and one qcow2 layer per appliance over it,
// each signed with the TEST-ONLY key. See catalog/README.md.
//
//   npm run images                       real images into .tempest/images
//   npm run images -- --only webserv-1.0.0,dns --out DIR --cache DIR
//   npm run images -- --stand-ins        the committed stand-ins (no Debian needed)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { APPLIANCES } from './appliances/index.mjs';
import { DebianPackages } from './lib/debian.mjs';
import {
  DISK_BYTES,
  ROOT_BYTES,
  assembleDisk,
  bootTools,
  standIn,
  toQcow2,
  toQcow2Layer,
} from './lib/disk.mjs';
import { missingLibraries } from './lib/elf.mjs';
import { createExt4, writeTree } from './lib/ext4.mjs';
import { initramfs } from './lib/cpio.mjs';
import { cloudKernel } from './lib/kernel.mjs';
import { run } from './lib/run.mjs';
import { signFile } from './lib/sign.mjs';
import { OS_IMAGE, SYSLINUX_CFG, buildOsTrees } from './os.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const SAMPLE = path.join(repo, 'catalog/channels/sample');
const LOCK = path.join(here, 'packages.lock.json');
const ROOT_UUID = '54454d50-4553-5400-0000-000000000001';

const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(repo, '.tempest/images') },
    cache: {
      type: 'string',
      default:
        process.env.TEMPEST_IMAGE_CACHE ??
        path.join(repo, '.tempest/image-cache'),
    },
    only: { type: 'string' },
    'stand-ins': { type: 'boolean', default: false },
    'update-lock': { type: 'boolean', default: false },
  },
});

/** @param {string} name */
function definition(name) {
  const xml = fs.readFileSync(path.join(SAMPLE, `${name}.xml`), 'utf8');
  const tag = t => new RegExp(`<${t}>([^<]*)</${t}>`).exec(xml)?.[1];
  const d = {
    label: tag('label'),
    version: tag('version'),
    provides: tag('provides'),
    webpanel: tag('webpanel'),
    url: tag('url'),
  };
  if (!d.label || !d.version || !d.provides || !d.url)
    throw new Error(`${name}.xml lacks label, version, provides or url`);
  return /** @type {{ label: string, version: string, provides: string, webpanel?: string, url: string }} */ (
    d
  );
}

const names = opts.only ? opts.only.split(',') : Object.keys(APPLIANCES);
for (const n of names)
  if (!APPLIANCES[n])
    throw new Error(
      `No appliance ${n}; known: ${Object.keys(APPLIANCES).join(', ')}`,
    );

if (opts['stand-ins']) {
  // Empty qcow2 layers of the real images' virtual size: what simulated hosts install.
  const osFile = path.join(repo, 'catalog/os-images', OS_IMAGE.file);
  standIn(osFile, { virtualBytes: DISK_BYTES });
  await signFile(osFile);
  for (const n of names) {
    const file = path.join(SAMPLE, definition(n).url);
    standIn(file, { virtualBytes: DISK_BYTES, backing: OS_IMAGE.file });
    await signFile(file);
  }
  console.log(`stand-ins written for ${OS_IMAGE.file} and ${names.join(', ')}`);
  process.exit(0);
}

const started = Date.now();
const lock = fs.existsSync(LOCK)
  ? JSON.parse(fs.readFileSync(LOCK, 'utf8'))
  : { packages: {} };
const debs = new DebianPackages(
  opts.cache,
  opts['update-lock'] ? {} : lock.packages,
);
const work = path.join(opts.cache, 'work');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
const osDir = path.join(opts.out, 'os-images');
const channelDir = path.join(opts.out, 'channels/sample');
fs.mkdirSync(osDir, { recursive: true });
fs.mkdirSync(channelDir, { recursive: true });

const kernel = cloudKernel(debs);
const tools = bootTools(debs);
const os = buildOsTrees(debs, kernel);
const missing = missingLibraries(os.tree, []);
if (missing.length)
  throw new Error(`The OS substrate lacks libraries: ${missing.join('; ')}`);

// OS substrate: boot partition (kernel, initramfs, SYSLINUX) + root file system.
const w = f => path.join(work, f);
fs.writeFileSync(w('initrd.gz'), initramfs(os.initrd));
fs.writeFileSync(w('syslinux.cfg'), SYSLINUX_CFG);
tools.bootPartition(w('boot.fat'), {
  vmlinuz: kernel.vmlinuz,
  'initrd.gz': w('initrd.gz'),
  'syslinux.cfg': w('syslinux.cfg'),
});
createExt4(w('os.ext4'), ROOT_BYTES, { uuid: ROOT_UUID, label: 'root' });
writeTree(w('os.ext4'), os.tree);
assembleDisk(w('os.raw'), {
  mbr: tools.mbr,
  boot: w('boot.fat'),
  root: w('os.ext4'),
});
const osImage = path.join(osDir, OS_IMAGE.file);
toQcow2(w('os.raw'), osImage);
await signFile(osImage);
const layers = [
  { layer: OS_IMAGE.file, ...sizes(osImage), files: os.tree.entries.size },
];
console.log(`built ${path.relative(repo, osImage)}`);

for (const n of names) {
  const def = definition(n);
  const tree = APPLIANCES[n].build({ debs, kernel, definition: def });
  const lacking = missingLibraries(tree, [os.tree]);
  if (lacking.length)
    throw new Error(`${n} lacks libraries: ${lacking.join('; ')}`);
  run('cp', ['--sparse=always', w('os.ext4'), w(`${n}.ext4`)]);
  writeTree(w(`${n}.ext4`), tree, os.tree);
  assembleDisk(w(`${n}.raw`), {
    mbr: tools.mbr,
    boot: w('boot.fat'),
    root: w(`${n}.ext4`),
  });
  const image = path.join(channelDir, def.url);
  toQcow2Layer(w(`${n}.raw`), w('os.raw'), osImage, image);
  await signFile(image);
  fs.rmSync(w(`${n}.raw`));
  fs.rmSync(w(`${n}.ext4`));
  layers.push({
    layer: def.url,
    appliance: n,
    ...sizes(image),
    files: tree.entries.size,
    probe: APPLIANCES[n].probe,
  });
  console.log(`built ${path.relative(repo, image)}`);
}

// The channel's feed and definitions beside the images, so the directory can be served as is.
for (const f of fs.readdirSync(SAMPLE))
  if (f.endsWith('.xml'))
    fs.copyFileSync(path.join(SAMPLE, f), path.join(channelDir, f));
fs.rmSync(work, { recursive: true, force: true });

const packages = debs.versions();
const manifestFile = path.join(opts.out, 'manifest.json');
// A partial build (--only) keeps what the manifest says of the layers it did not rebuild.
const previous =
  opts.only && fs.existsSync(manifestFile)
    ? JSON.parse(fs.readFileSync(manifestFile, 'utf8'))
    : undefined;
const kept = (previous?.layers ?? []).filter(
  l => !layers.some(n => n.layer === l.layer),
);
const manifest = {
  builtAt: new Date().toISOString(),
  kernel: kernel.release,
  layers: [...layers, ...kept],
  packages: { ...previous?.packages, ...packages },
  warnings: debs.warnings,
};
fs.writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
if (opts['update-lock'] || !fs.existsSync(LOCK) || !opts.only) {
  const merged = opts.only ? { ...lock.packages, ...packages } : packages;
  fs.writeFileSync(LOCK, `${JSON.stringify({ packages: merged }, null, 2)}\n`);
}
for (const warning of debs.warnings) console.warn(`warning: ${warning}`);
console.table(
  layers.map(l => ({
    layer: l.layer,
    MiB: (l.bytes / 2 ** 20).toFixed(1),
    files: l.files,
  })),
);
console.log(
  `done in ${Math.round((Date.now() - started) / 1000)} s; images in ${opts.out}`,
);

function sizes(file) {
  const info = JSON.parse(run('qemu-img', ['info', '--output=json', file]));
  return {
    bytes: fs.statSync(file).size,
    virtualBytes: info['virtual-size'],
    sha256: run('sha256sum', [file]).split(' ')[0],
  };
}
