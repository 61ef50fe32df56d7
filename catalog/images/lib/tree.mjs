// @ts-check
// A root filesystem staged in memory: what a layer adds, path by path, owned
// by root with fixed times, so that the ext4 written from it is the same on
// every build.
import fs from 'node:fs';
import path from 'node:path';

/**
 * @typedef {{ type: 'dir', mode: number, uid: number, gid: number }} DirEntry
 * @typedef {{ type: 'file', mode: number, uid: number, gid: number, source?: string, content?: Buffer }} FileEntry
 * @typedef {{ type: 'symlink', target: string, uid: number, gid: number }} LinkEntry
 * @typedef {DirEntry | FileEntry | LinkEntry} Entry
 */

// Package trees unpack into /bin, /lib...; the image merges them into /usr as Debian 12 does.
const MERGED = [
  ['/bin/', '/usr/bin/'],
  ['/sbin/', '/usr/sbin/'],
  ['/lib/', '/usr/lib/'],
  ['/lib64/', '/usr/lib64/'],
];
const SKIPPED = [
  /^\/usr\/share\/(doc|man|info|locale|lintian|bug|bash-completion|zsh|bash-completion|apport|menu|pixmaps|applications|doc-base)\//,
  /^\/usr\/lib\/x86_64-linux-gnu\/gconv\//,
  /^\/usr\/share\/zoneinfo\//,
  /^\/etc\/(init\.d|rc\d\.d|logrotate\.d|cron\.daily|default|ufw|systemd)\//,
  /^\/(usr\/)?lib\/systemd\//,
  /^\/usr\/lib\/tmpfiles\.d\//,
  /^\/usr\/lib\/sysusers\.d\//,
];
const SAFE_PATH = /^\/[A-Za-z0-9._+@:,=~/[-]*$/;

export function mergedUsr(p) {
  for (const [from, to] of MERGED)
    if (p.startsWith(from)) return to + p.slice(from.length);
  return p;
}

export class Tree {
  constructor() {
    /** @type {Map<string, Entry>} */
    this.entries = new Map([
      ['/', { type: 'dir', mode: 0o755, uid: 0, gid: 0 }],
    ]);
  }

  /** @param {string} p */
  static check(p) {
    if (!SAFE_PATH.test(p) || p.includes('//') || p.split('/').includes('..')) {
      throw new Error(`Unsafe path in an image: ${JSON.stringify(p)}`);
    }
    return p;
  }

  dir(p, mode = 0o755, uid = 0, gid = 0) {
    Tree.check(p);
    if (p === '/') return this;
    this.parents(p);
    const existing = this.entries.get(p);
    if (existing && existing.type !== 'dir')
      throw new Error(`${p} is already a ${existing.type}`);
    this.entries.set(p, { type: 'dir', mode, uid, gid });
    return this;
  }

  /** @param {string | Buffer} content */
  file(p, content, mode = 0o644, uid = 0, gid = 0) {
    Tree.check(p);
    this.parents(p);
    this.entries.set(p, {
      type: 'file',
      mode,
      uid,
      gid,
      content: Buffer.isBuffer(content) ? content : Buffer.from(content),
    });
    return this;
  }

  copy(p, source, mode = fs.statSync(source).mode & 0o7777) {
    Tree.check(p);
    this.parents(p);
    this.entries.set(p, { type: 'file', mode, uid: 0, gid: 0, source });
    return this;
  }

  symlink(p, target) {
    Tree.check(p);
    this.parents(p);
    this.entries.set(p, { type: 'symlink', target, uid: 0, gid: 0 });
    return this;
  }

  chown(p, uid, gid) {
    const e = this.entries.get(p);
    if (!e) throw new Error(`chown of ${p}, which the layer does not add`);
    e.uid = uid;
    e.gid = gid;
    return this;
  }

  parents(p) {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      const existing = this.entries.get(dir);
      if (!existing)
        this.entries.set(dir, { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
      else if (existing.type !== 'dir')
        throw new Error(`${dir} is a ${existing.type}, not a directory`);
    }
  }

  /**
   * Adds an unpacked Debian package: its files under merged /usr, without
   * documentation, init scripts for other init systems, or whatever `skip` names.
   * @param {{ dir: string, name: string }} pkg
   * @param {{ skip?: RegExp[], only?: RegExp[] }} [options]
   */
  addPackage(pkg, options = {}) {
    const walk = rel => {
      const abs = path.join(pkg.dir, rel);
      for (const name of fs.readdirSync(abs).sort()) {
        const src = path.join(abs, name);
        const p = mergedUsr(`${rel}/${name}`.replace(/^\.?\/*/, '/'));
        const st = fs.lstatSync(src);
        if (st.isDirectory()) {
          walk(path.join(rel, name));
          continue;
        }
        if (SKIPPED.some(r => r.test(p)) || options.skip?.some(r => r.test(p)))
          continue;
        if (options.only && !options.only.some(r => r.test(p))) continue;
        if (st.isSymbolicLink()) this.symlink(p, fs.readlinkSync(src));
        else if (st.isFile()) this.copy(p, src, st.mode & 0o7777);
      }
    };
    walk('.');
    return this;
  }

  /** Paths sorted so that a directory comes before what it holds. */
  paths() {
    return [...this.entries.keys()].sort();
  }

  /** Bytes of file content the tree adds. */
  contentBytes() {
    let total = 0;
    for (const e of this.entries.values()) {
      if (e.type === 'file')
        total += e.content
          ? e.content.length
          : fs.statSync(/** @type {string} */ (e.source)).size;
    }
    return total;
  }
}
