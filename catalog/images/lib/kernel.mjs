// @ts-check
// The Debian cloud kernel and the modules a layer needs, with their
// dependencies (read from each module's .modinfo), in load order.
import fs from 'node:fs';
import path from 'node:path';

/**
 * @param {import('./debian.mjs').DebianPackages} debs
 */
export function cloudKernel(debs) {
  const pattern = /^linux-image-.*-cloud-amd64$/;
  // The locked kernel when there is one (asking apt takes seconds), else what the metapackage wants now.
  const name =
    Object.keys(debs.pinned).find(
      n => pattern.test(n) && n !== 'linux-image-cloud-amd64',
    ) ?? debs.dependencyOf('linux-image-cloud-amd64', pattern);
  const pkg = debs.get(name);
  const boot = path.join(pkg.dir, 'boot');
  const vmlinuz = fs.readdirSync(boot).find(f => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`${name} holds no vmlinuz`);
  const release = vmlinuz.slice('vmlinuz-'.length);
  const modulesDir = path.join(pkg.dir, 'lib/modules', release);
  /** @type {Map<string, string>} module name → path relative to modulesDir */
  const index = new Map();
  const walk = rel => {
    for (const f of fs.readdirSync(path.join(modulesDir, rel))) {
      const r = path.join(rel, f);
      if (fs.statSync(path.join(modulesDir, r)).isDirectory()) walk(r);
      else if (f.endsWith('.ko'))
        index.set(f.slice(0, -3).replace(/-/g, '_'), r);
    }
  };
  walk('kernel');
  return {
    pkg,
    release,
    vmlinuz: path.join(boot, vmlinuz),
    modulesDir,
    /**
     * The modules named and everything they depend on, dependencies first.
     * @param {string[]} names
     * @returns {{ name: string, rel: string, file: string }[]}
     */
    modules(names) {
      const ordered = [];
      const seen = new Set();
      const visit = n => {
        const key = n.replace(/-/g, '_');
        if (seen.has(key)) return;
        seen.add(key);
        const rel = index.get(key);
        if (!rel) throw new Error(`Kernel ${release} has no module ${n}`);
        const file = path.join(modulesDir, rel);
        for (const dep of dependsOf(file)) visit(dep);
        ordered.push({ name: key, rel, file });
      };
      names.forEach(visit);
      return ordered;
    },
  };
}

/** The `depends=` field of a module's .modinfo section. */
function dependsOf(file) {
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf('\0depends=');
  if (at < 0) return [];
  const end = bytes.indexOf(0, at + 1);
  const value = bytes.subarray(at + '\0depends='.length, end).toString();
  return value ? value.split(',') : [];
}
