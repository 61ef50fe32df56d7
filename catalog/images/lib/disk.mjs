// @ts-check
// A BIOS-bootable disk without root: an MBR (SYSLINUX's mbr.bin), a FAT boot
// partition holding the kernel, initramfs and SYSLINUX (installed with mtools),
// and an ext4 root partition; then qcow2 layers of it.
import fs from 'node:fs';
import path from 'node:path';
import { IMAGE_EPOCH } from './ext4.mjs';
import { run } from './run.mjs';

const MiB = 1024 * 1024;
const ZEROS = Buffer.alloc(MiB);
export const DISK_BYTES = 512 * MiB;
export const BOOT_START = 1 * MiB;
export const BOOT_BYTES = 32 * MiB;
export const ROOT_START = BOOT_START + BOOT_BYTES;
export const ROOT_BYTES = DISK_BYTES - ROOT_START;

/**
 * SYSLINUX and mtools, unpacked from their Debian packages (not installed).
 * @param {import('./debian.mjs').DebianPackages} debs
 */
export function bootTools(debs) {
  const syslinux = debs.get('syslinux');
  const common = debs.get('syslinux-common');
  const mtoolsPkg = debs.get('mtools');
  const env = {
    PATH: `${path.join(mtoolsPkg.dir, 'usr/bin')}:${process.env.PATH}`,
    SOURCE_DATE_EPOCH: String(IMAGE_EPOCH),
    MTOOLS_SKIP_CHECK: '1',
  };
  return {
    mbr: fs.readFileSync(path.join(common.dir, 'usr/lib/syslinux/mbr/mbr.bin')),
    /**
     * A FAT file system with SYSLINUX installed and the given files at its root.
     * @param {string} file
     * @param {Record<string, string>} files name → host path
     */
    bootPartition(file, files) {
      fs.rmSync(file, { force: true });
      fs.writeFileSync(file, '');
      fs.truncateSync(file, BOOT_BYTES);
      const mtools = (cmd, args) =>
        run(path.join(mtoolsPkg.dir, 'usr/bin', cmd), args, { env });
      mtools('mformat', [
        '-i',
        file,
        '-T',
        String(BOOT_BYTES / 512),
        '-h',
        '64',
        '-s',
        '32',
        '-H',
        String(BOOT_START / 512),
        '-N',
        '54454d50',
        '-v',
        'TEMPESTBOOT',
        '::',
      ]);
      for (const [name, src] of Object.entries(files).sort()) {
        fs.utimesSync(src, IMAGE_EPOCH, IMAGE_EPOCH);
        mtools('mcopy', ['-m', '-i', file, src, `::${name}`]);
      }
      run(path.join(syslinux.dir, 'usr/bin/syslinux'), ['--install', file], {
        env,
      });
    },
  };
}

/**
 * Writes a raw disk: MBR with two partitions (FAT boot, active; Linux root),
 * the boot partition and the root file system, leaving zeros as holes.
 * @param {string} out
 * @param {{ mbr: Buffer, boot: string, root: string }} parts
 */
export function assembleDisk(out, parts) {
  const head = Buffer.alloc(512);
  parts.mbr.copy(head, 0, 0, 440);
  head.writeUInt32LE(0x54454d50, 440); // disk signature
  partitionEntry(head, 0, {
    active: true,
    type: 0x0e,
    start: BOOT_START,
    bytes: BOOT_BYTES,
  });
  partitionEntry(head, 1, {
    active: false,
    type: 0x83,
    start: ROOT_START,
    bytes: ROOT_BYTES,
  });
  head[510] = 0x55;
  head[511] = 0xaa;
  fs.rmSync(out, { force: true });
  const fd = fs.openSync(out, 'w');
  try {
    fs.ftruncateSync(fd, DISK_BYTES);
    fs.writeSync(fd, head, 0, 512, 0);
    copySparse(fd, parts.boot, BOOT_START);
    copySparse(fd, parts.root, ROOT_START);
  } finally {
    fs.closeSync(fd);
  }
}

function partitionEntry(mbr, index, p) {
  const at = 446 + index * 16;
  mbr[at] = p.active ? 0x80 : 0;
  // CHS fields say "use LBA" (the maximum), as for any disk past 8 GiB.
  mbr.set([0xfe, 0xff, 0xff], at + 1);
  mbr[at + 4] = p.type;
  mbr.set([0xfe, 0xff, 0xff], at + 5);
  mbr.writeUInt32LE(p.start / 512, at + 8);
  mbr.writeUInt32LE(p.bytes / 512, at + 12);
}

function copySparse(fd, source, offset) {
  const chunk = Buffer.alloc(MiB);
  const src = fs.openSync(source, 'r');
  try {
    for (let pos = 0; ; pos += MiB) {
      const n = fs.readSync(src, chunk, 0, MiB, pos);
      if (n === 0) break;
      if (!chunk.subarray(0, n).equals(ZEROS.subarray(0, n)))
        fs.writeSync(fd, chunk, 0, n, offset + pos);
    }
  } finally {
    fs.closeSync(src);
  }
}

/**
 * Converts a raw disk to a compressed qcow2 standing alone.
 * @param {string} raw
 * @param {string} out
 */
export function toQcow2(raw, out) {
  fs.rmSync(out, { force: true });
  run('qemu-img', [
    'convert',
    '-q',
    '-f',
    'raw',
    '-O',
    'qcow2',
    '-c',
    '-o',
    'compression_type=zlib',
    raw,
    out,
  ]);
}

const CLUSTER = 64 * 1024;

/**
 * A compressed qcow2 layer holding only the clusters where `raw` differs from
 * `baseRaw`, backed by `backing` (named by its bare file name: the agent
 * points it at its own copy when installing). Clusters the layer zeroes over
 * the base's data are written as zero clusters.
 * @param {string} raw this layer's whole disk
 * @param {string} baseRaw the disk below, as raw
 * @param {string} backing the layer below, as qcow2
 * @param {string} out
 */
export function toQcow2Layer(raw, baseRaw, backing, out) {
  const delta = `${out}.delta.raw`;
  const zeroed = [];
  const a = fs.openSync(raw, 'r');
  const b = fs.openSync(baseRaw, 'r');
  const d = fs.openSync(delta, 'w');
  try {
    fs.ftruncateSync(d, fs.fstatSync(a).size);
    const bufA = Buffer.alloc(CLUSTER);
    const bufB = Buffer.alloc(CLUSTER);
    for (let pos = 0; ; pos += CLUSTER) {
      const n = fs.readSync(a, bufA, 0, CLUSTER, pos);
      if (n === 0) break;
      fs.readSync(b, bufB.fill(0), 0, CLUSTER, pos);
      if (bufA.equals(bufB)) continue;
      if (!bufA.subarray(0, n).equals(ZEROS.subarray(0, n)))
        fs.writeSync(d, bufA, 0, n, pos);
      else zeroed.push(pos);
    }
  } finally {
    [a, b, d].forEach(fd => fs.closeSync(fd));
  }
  toQcow2(delta, out);
  fs.rmSync(delta);
  run('qemu-img', [
    'rebase',
    '-u',
    '-f',
    'qcow2',
    '-F',
    'qcow2',
    '-b',
    path.basename(backing),
    out,
  ]);
  if (zeroed.length) {
    run('qemu-io', [
      '-f',
      'qcow2',
      ...zeroed.flatMap(pos => ['-c', `write -z ${pos} ${CLUSTER}`]),
      out,
    ]);
  }
}

/**
 * A stand-in: a qcow2 of the same virtual size (and backing file name) that
 * holds no data. What the embedded default's simulated hosts install.
 * @param {string} out
 * @param {{ virtualBytes: number, backing?: string }} options
 */
export function standIn(out, options) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.rmSync(out, { force: true });
  const args = ['create', '-q', '-f', 'qcow2', '-o', 'cluster_size=4096'];
  if (options.backing) args.push('-u', '-b', options.backing, '-F', 'qcow2');
  run('qemu-img', [...args, out, String(options.virtualBytes)]);
}
