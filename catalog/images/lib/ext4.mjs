// @ts-check
// ext4 file systems written without root: mke2fs makes an empty one, debugfs
// adds a Tree's entries. Times, UUID, hash seed and inode generations are
// fixed, so the same tree gives the same bytes; a layer written over a copy of
// its base changes only the blocks it touches (which keeps qcow2 layers small).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runFull } from './run.mjs';
import { Tree } from './tree.mjs';

/** 2026-01-01T00:00:00Z: the time every inode and superblock carries. */
export const IMAGE_EPOCH = 1767225600;
const ENV = { E2FSPROGS_FAKE_TIME: String(IMAGE_EPOCH) };

/**
 * @param {string} file
 * @param {number} sizeBytes
 * @param {{ uuid: string, label: string }} options
 */
export function createExt4(file, sizeBytes, options) {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, '');
  fs.truncateSync(file, sizeBytes);
  run(
    'mke2fs',
    [
      '-q',
      '-F',
      '-t',
      'ext4',
      '-b',
      '4096',
      '-N',
      '32768',
      '-J',
      'size=8',
      '-L',
      options.label,
      '-U',
      options.uuid,
      '-E',
      `hash_seed=${options.uuid},nodiscard,lazy_itable_init=1,lazy_journal_init=1`,
      file,
    ],
    { env: ENV },
  );
}

/**
 * Writes a tree into the file system: new directories, files and symlinks,
 * replacing what `base` (the layer below) already holds at the same path.
 * @param {string} file
 * @param {Tree} tree
 * @param {Tree} [base]
 */
export function writeTree(file, tree, base) {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-ext4-'));
  try {
    const cmds = [];
    let n = 0;
    for (const p of tree.paths()) {
      if (p === '/') continue;
      const e = /** @type {import('./tree.mjs').Entry} */ (tree.entries.get(p));
      const below = base?.entries.get(p);
      if (e.type === 'dir') {
        if (!below) cmds.push(`mkdir ${p}`);
        else if (below.type !== 'dir')
          throw new Error(`${p}: a directory over a ${below.type}`);
      } else {
        if (below?.type === 'dir')
          throw new Error(`${p}: a ${e.type} over a directory`);
        if (below) cmds.push(`rm ${p}`);
        if (e.type === 'symlink') {
          cmds.push(`symlink ${p} ${checkTarget(e.target)}`);
        } else {
          let source = e.source;
          if (!source) {
            source = path.join(scratch, String(n++));
            fs.writeFileSync(source, /** @type {Buffer} */ (e.content));
          }
          if (/\s/.test(source))
            throw new Error(`A source path with spaces: ${source}`);
          cmds.push(`write ${source} ${p}`);
        }
      }
    }
    // Ownership, modes and times of everything added or changed, including
    // the directories that gained entries.
    for (const p of tree.paths()) {
      const e = /** @type {import('./tree.mjs').Entry} */ (tree.entries.get(p));
      const type =
        e.type === 'dir' ? 0o040000 : e.type === 'file' ? 0o100000 : 0o120000;
      const mode = e.type === 'symlink' ? 0o777 : e.mode;
      cmds.push(`sif ${p} mode 0${(type | mode).toString(8)}`);
      cmds.push(`sif ${p} uid ${e.uid}`, `sif ${p} gid ${e.gid}`);
      for (const field of ['atime', 'mtime', 'ctime', 'crtime'])
        cmds.push(`sif ${p} ${field} @${IMAGE_EPOCH}`);
    }
    const script = path.join(scratch, 'commands');
    fs.writeFileSync(script, `${cmds.join('\n')}\n`);
    const { stderr } = runFull('debugfs', ['-w', '-f', script, file], {
      env: ENV,
    });
    // debugfs exits 0 whatever a command did; its complaints go to stderr.
    const errors = stderr
      .split('\n')
      .filter(
        l => l.trim() && !/^debugfs \d/.test(l) && !/^Allocated inode/.test(l),
      );
    if (errors.length)
      throw new Error(`debugfs: ${errors.slice(0, 5).join('; ')}`);
    run('e2fsck', ['-f', '-n', file], { env: ENV });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function checkTarget(target) {
  if (!/^[A-Za-z0-9._+@:,=~/-]+$/.test(target))
    throw new Error(`Unsafe symlink target ${JSON.stringify(target)}`);
  return target;
}
