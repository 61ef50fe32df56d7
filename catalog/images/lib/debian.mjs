// @ts-check
// Debian packages for the image builder: fetched with `apt-get download`
// (no root needed), kept in a cache, unpacked with `dpkg-deb -x`.
import fs from 'node:fs';
import path from 'node:path';
import { run } from './run.mjs';

/**
 * @typedef {{ name: string, version: string, deb: string, dir: string }} Package
 */

export class DebianPackages {
  /**
   * @param {string} cacheDir where .deb files and their unpacked trees are kept
   * @param {Record<string, string>} pinned package → version from the lock file
   */
  constructor(cacheDir, pinned = {}) {
    this.cacheDir = cacheDir;
    this.pinned = pinned;
    /** @type {Map<string, Package>} */
    this.fetched = new Map();
    /** @type {string[]} */
    this.warnings = [];
    fs.mkdirSync(path.join(cacheDir, 'debs'), { recursive: true });
  }

  /** The version apt would install now. */
  candidate(name) {
    const out = run('apt-cache', ['policy', name]);
    const version = /Candidate: (\S+)/.exec(out)?.[1];
    if (!version || version === '(none)') {
      throw new Error(
        `apt knows no package ${name} (run apt-get update, or check the name)`,
      );
    }
    return version;
  }

  /** The package name a metapackage depends on (linux-image-cloud-amd64 → linux-image-6.1.0-…). */
  dependencyOf(meta, pattern) {
    const out = run('apt-cache', ['depends', meta]);
    const match = out
      .split('\n')
      .map(l => /Depends: (\S+)/.exec(l)?.[1])
      .find(n => n && pattern.test(n));
    if (!match) throw new Error(`${meta} depends on nothing like ${pattern}`);
    return match;
  }

  /**
   * Downloads (once) and unpacks a package; the pinned version when the
   * archive still has it, else the current one (with a warning).
   * @returns {Package}
   */
  get(name) {
    const known = this.fetched.get(name);
    if (known) return known;
    const debsDir = path.join(this.cacheDir, 'debs');
    const cached = version =>
      fs
        .readdirSync(debsDir)
        .find(f => f.startsWith(debFilePrefix(name, version)));
    let version = this.pinned[name];
    let deb = version && cached(version);
    if (!deb) {
      // Ask apt only when the locked .deb is not in the cache (apt-cache takes seconds a call).
      const current = this.candidate(name);
      if (version && version !== current && !this.available(name, version)) {
        this.warnings.push(
          `${name} ${version} (locked) is no longer in the archive; using ${current}`,
        );
        version = current;
      }
      version ??= current;
      deb = cached(version);
      if (!deb) {
        run('apt-get', ['download', '-q', `${name}=${version}`], {
          cwd: debsDir,
        });
        deb = cached(version);
        if (!deb)
          throw new Error(`apt-get download ${name}=${version} left no .deb`);
      }
    }
    const dir = path.join(this.cacheDir, 'unpacked', `${name}_${version}`);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(`${dir}.tmp`, { recursive: true });
      run('dpkg-deb', ['-x', path.join(debsDir, deb), `${dir}.tmp`]);
      fs.renameSync(`${dir}.tmp`, dir);
    }
    const pkg = { name, version, deb: path.join(debsDir, deb), dir };
    this.fetched.set(name, pkg);
    return pkg;
  }

  available(name, version) {
    try {
      const out = run('apt-cache', ['madison', name]);
      return out.split('\n').some(l => l.split('|')[1]?.trim() === version);
    } catch {
      return false;
    }
  }

  /** Every package fetched so far and its version, for the lock file and manifest. */
  versions() {
    return Object.fromEntries(
      [...this.fetched.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(p => [p.name, p.version]),
    );
  }
}

/** apt names a downloaded package NAME_VERSION_ARCH.deb, with an epoch's colon as %3a. */
function debFilePrefix(name, version) {
  return `${name}_${version.replace(':', '%3a')}_`;
}

/**
 * The packages named plus every library package (lib*) they depend on,
 * recursively, read from the .deb control files; `exclude` stops the walk
 * (packages a lower layer already holds, or libraries only optional parts need).
 * @param {DebianPackages} debs
 * @param {string[]} names
 * @param {Set<string>} exclude
 */
export function withLibraries(debs, names, exclude) {
  const out = [];
  const seen = new Set(exclude);
  const visit = name => {
    if (seen.has(name)) return;
    seen.add(name);
    const pkg = debs.get(name);
    out.push(name);
    const depends = run('dpkg-deb', ['-f', pkg.deb, 'Depends', 'Pre-Depends']);
    for (const clause of depends.replace(/^[\w-]+: /gm, '').split(/,|\n/)) {
      const first = clause
        .split('|')[0]
        .trim()
        .split(/[\s(:]/)[0];
      if (first && /^lib/.test(first)) visit(first);
    }
  };
  names.forEach(visit);
  return out;
}
