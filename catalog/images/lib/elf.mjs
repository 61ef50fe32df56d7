// @ts-check
// Which shared libraries an ELF file needs (DT_NEEDED), so a build can prove
// that every program in an image finds its libraries in that image.
import fs from 'node:fs';

/**
 * @param {Buffer} b the file's bytes
 * @returns {string[] | undefined} sonames, or undefined when not a dynamic ELF64
 */
export function neededLibraries(b) {
  if (
    b.length < 64 ||
    b.readUInt32BE(0) !== 0x7f454c46 ||
    b[4] !== 2 ||
    b[5] !== 1
  )
    return undefined;
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  const loads = [];
  let dynamic;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const type = b.readUInt32LE(at);
    const offset = Number(b.readBigUInt64LE(at + 8));
    const vaddr = Number(b.readBigUInt64LE(at + 16));
    const filesz = Number(b.readBigUInt64LE(at + 32));
    if (type === 1) loads.push({ offset, vaddr, filesz });
    if (type === 2) dynamic = { offset, filesz };
  }
  if (!dynamic) return undefined;
  const toOffset = vaddr => {
    const seg = loads.find(l => vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz);
    return seg ? vaddr - seg.vaddr + seg.offset : undefined;
  };
  const needed = [];
  let strtab;
  for (
    let at = dynamic.offset;
    at + 16 <= dynamic.offset + dynamic.filesz;
    at += 16
  ) {
    const tag = Number(b.readBigInt64LE(at));
    const val = Number(b.readBigUInt64LE(at + 8));
    if (tag === 0) break;
    if (tag === 1) needed.push(val);
    if (tag === 5) strtab = toOffset(val);
  }
  if (strtab === undefined) return [];
  return needed.map(off => {
    const start = /** @type {number} */ (strtab) + off;
    return b.subarray(start, b.indexOf(0, start)).toString();
  });
}

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib', '/usr/lib64'];

/**
 * Names every program or library in `tree` whose needed libraries are found
 * neither in it nor in the layers below.
 * @param {import('./tree.mjs').Tree} tree
 * @param {import('./tree.mjs').Tree[]} below
 */
export function missingLibraries(tree, below) {
  const has = p => tree.entries.has(p) || below.some(t => t.entries.has(p));
  const missing = [];
  for (const [p, e] of tree.entries) {
    if (e.type !== 'file' || !(e.mode & 0o111 || /\.so(\.|$)/.test(p)))
      continue;
    const bytes =
      e.content ?? fs.readFileSync(/** @type {string} */ (e.source));
    for (const soname of neededLibraries(bytes) ?? []) {
      if (!LIB_DIRS.some(d => has(`${d}/${soname}`)))
        missing.push(`${p} needs ${soname}`);
    }
  }
  return missing;
}
