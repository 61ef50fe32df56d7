// @ts-check
// What every appliance layer shares: its packages, accounts, modules, the
// appliance's name for the panel and console, and its service scripts.
import { withLibraries } from '../lib/debian.mjs';
import {
  BASE_GROUPS,
  BASE_USERS,
  OS_PACKAGES,
  applianceInfo,
  writeAccounts,
} from '../os.mjs';
import { Tree } from '../lib/tree.mjs';

/**
 * @typedef {{
 *   debs: import('../lib/debian.mjs').DebianPackages,
 *   kernel: ReturnType<typeof import('../lib/kernel.mjs').cloudKernel>,
 *   definition: { label: string, version: string, provides: string, webpanel?: string },
 * }} LayerContext
 * @typedef {{ name: string, uid: number, gid: number, home?: string }} Account
 */

/**
 * @param {LayerContext} ctx
 * @param {{ packages: string[], withoutLibraries?: string[], skip?: RegExp[], users?: Account[], groups?: { name: string, gid: number }[], modules?: string[] }} spec
 *   packages come with the library packages they depend on, except those the
 *   OS substrate holds and `withoutLibraries`
 */
export function applianceLayer(ctx, spec) {
  const tree = new Tree();
  const exclude = new Set([...OS_PACKAGES, ...(spec.withoutLibraries ?? [])]);
  for (const name of withLibraries(ctx.debs, spec.packages, exclude))
    tree.addPackage(ctx.debs.get(name), { skip: spec.skip });
  writeAccounts(
    tree,
    [
      ...BASE_USERS,
      ...(spec.users ?? []).map(u => ({
        home: '/nonexistent',
        ...u,
        shell: '/usr/sbin/nologin',
      })),
    ],
    [...BASE_GROUPS, ...(spec.groups ?? [])],
  );
  applianceInfo(tree, ctx.definition);
  if (spec.modules?.length) {
    const modules = ctx.kernel.modules(spec.modules);
    for (const m of modules)
      tree.copy(
        `/usr/lib/modules/${ctx.kernel.release}/${m.rel}`,
        m.file,
        0o644,
      );
    tree.file(
      `/etc/tempest/modules.d/${ctx.definition.provides}`,
      modules.map(m => `${m.rel}\n`).join(''),
    );
  }
  return tree;
}

/**
 * A service script for rcS/rcK (`start` / `stop`), with the appliance's
 * variables (/etc/tempest/appliance.env, from the seed) in its environment.
 * @param {Tree} tree
 * @param {string} name e.g. 50-nginx
 * @param {{ start: string, stop: string }} body shell
 */
export function service(tree, name, body) {
  tree.file(
    `/etc/tempest/services.d/${name}`,
    `#!/bin/sh
[ -f /etc/tempest/appliance.env ] && . /etc/tempest/appliance.env
start() {
${body.start.trim()}
}
stop() {
${body.stop.trim()}
}
case "$1" in
  start) start ;;
  stop) stop ;;
esac
`,
    0o755,
  );
}

/** A panel fragment: shell that prints HTML into the appliance's webpanel. */
export function panelFragment(tree, name, shell) {
  tree.file(`/etc/tempest/panel.d/${name}`, `#!/bin/sh\n${shell}\n`, 0o755);
}

/** HTML-escapes a command's output inside a panel fragment. */
export const ESCAPE = `sed -e 's/&/\\&amp;/g' -e 's/</\\&lt;/g' -e 's/>/\\&gt;/g'`;
