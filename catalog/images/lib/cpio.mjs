// @ts-check
// A newc cpio archive (what the kernel unpacks as an initramfs), written from
// a Tree with fixed owners and times, gzip'd without a name or time.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { IMAGE_EPOCH } from './ext4.mjs';

/** @param {import('./tree.mjs').Tree} tree */
export function initramfs(tree) {
  const parts = [];
  let ino = 1;
  const add = (name, mode, data) => {
    const fields = [
      ino++,
      mode,
      0,
      0,
      1,
      IMAGE_EPOCH,
      data.length,
      0,
      0,
      0,
      0,
      name.length + 1,
      0,
    ];
    const header = `070701${fields.map(f => f.toString(16).padStart(8, '0')).join('')}`;
    parts.push(Buffer.from(header), Buffer.from(`${name}\0`));
    parts.push(Buffer.alloc(pad(110 + name.length + 1)));
    parts.push(data, Buffer.alloc(pad(data.length)));
  };
  for (const p of tree.paths()) {
    if (p === '/') continue;
    const e = /** @type {import('./tree.mjs').Entry} */ (tree.entries.get(p));
    const name = p.slice(1);
    if (e.type === 'dir') add(name, 0o040000 | e.mode, Buffer.alloc(0));
    else if (e.type === 'symlink') add(name, 0o120777, Buffer.from(e.target));
    else
      add(
        name,
        0o100000 | e.mode,
        e.content ?? fs.readFileSync(/** @type {string} */ (e.source)),
      );
  }
  add('TRAILER!!!', 0, Buffer.alloc(0));
  return zlib.gzipSync(Buffer.concat(parts), { level: 9 });
}

function pad(n) {
  return (4 - (n % 4)) % 4;
}
