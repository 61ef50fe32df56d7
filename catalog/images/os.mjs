// @ts-check
// The OS substrate every sample appliance layers on: the Debian cloud kernel
// (booted by SYSLINUX), a busybox userland with glibc, OpenSSL and Dropbear,
// and the guest scripts in guest/ (seed, disks, DHCP, webpanel, console).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './lib/run.mjs';
import { Tree, mergedUsr } from './lib/tree.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const GUEST_DIR = path.join(here, 'guest');

export const OS_IMAGE = {
  name: 'linux-base',
  version: '1.0',
  file: 'linux-base-1.0.qcow2',
  label: 'Tempest OS substrate',
};

/** Modules the running system loads (the initramfs loads the block driver). */
const OS_MODULES = ['virtio_net', 'isofs', 'button', 'evdev'];
const INITRAMFS_MODULES = ['virtio_pci', 'virtio_blk'];
export const OS_PACKAGES = [
  'busybox-static',
  'libc6',
  'libcrypt1',
  'libgcc-s1',
  'zlib1g',
  'libssl3',
  'dropbear-bin',
  'libtomcrypt1',
  'libtommath1',
  'libgmp10',
];

/** System users every layer starts from; appliances add theirs. */
export const BASE_USERS = [
  { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' },
  {
    name: 'daemon',
    uid: 1,
    gid: 1,
    home: '/usr/sbin',
    shell: '/usr/sbin/nologin',
  },
  {
    name: 'nobody',
    uid: 65534,
    gid: 65534,
    home: '/nonexistent',
    shell: '/usr/sbin/nologin',
  },
];
export const BASE_GROUPS = [
  { name: 'root', gid: 0 },
  { name: 'daemon', gid: 1 },
  { name: 'adm', gid: 4 },
  { name: 'nogroup', gid: 65534 },
];

/**
 * /etc/passwd, group and shadow for a layer. Every account is locked: the
 * console (tty1) is a root shell, and SSH takes keys only.
 * @param {Tree} tree
 * @param {{ name: string, uid: number, gid: number, home: string, shell: string }[]} users
 * @param {{ name: string, gid: number }[]} groups
 */
export function writeAccounts(tree, users, groups) {
  tree.file(
    '/etc/passwd',
    users
      .map(
        u => `${u.name}:x:${u.uid}:${u.gid}:${u.name}:${u.home}:${u.shell}\n`,
      )
      .join(''),
  );
  tree.file('/etc/group', groups.map(g => `${g.name}:x:${g.gid}:\n`).join(''));
  tree.file(
    '/etc/shadow',
    users.map(u => `${u.name}:*:20454:0:99999:7:::\n`).join(''),
    0o640,
  );
}

/** /etc/tempest/appliance: what the panel and console banner show. */
export function applianceInfo(tree, info) {
  const q = v => `'${String(v).replace(/'/g, `'\\''`)}'`;
  tree.file(
    '/etc/tempest/appliance',
    `LABEL=${q(info.label)}\nVERSION=${q(info.version)}\nPROVIDES=${q(info.provides ?? '')}\n`,
  );
}

/** Copies a directory of guest files into the tree, keeping their modes. */
function addGuestFiles(tree, dir, prefix = '') {
  for (const name of fs.readdirSync(dir).sort()) {
    const src = path.join(dir, name);
    const p = `${prefix}/${name}`;
    if (fs.statSync(src).isDirectory()) addGuestFiles(tree, src, p);
    else tree.copy(p, src);
  }
}

/**
 * @param {import('./lib/debian.mjs').DebianPackages} debs
 * @param {ReturnType<typeof import('./lib/kernel.mjs').cloudKernel>} kernel
 */
export function buildOsTrees(debs, kernel) {
  const tree = new Tree();
  for (const [link, target] of [
    ['/bin', 'usr/bin'],
    ['/sbin', 'usr/sbin'],
    ['/lib', 'usr/lib'],
    ['/lib64', 'usr/lib64'],
    ['/var/run', '/run'],
  ]) {
    tree.symlink(link, target);
  }
  for (const d of [
    '/usr/bin',
    '/usr/sbin',
    '/usr/lib',
    '/usr/lib64',
    '/dev',
    '/proc',
    '/sys',
    '/run',
    '/etc',
    '/srv',
    '/mnt',
    '/home',
    '/var/log',
    '/var/lib',
    '/var/spool',
    '/var/cache',
  ])
    tree.dir(d);
  tree.dir('/tmp', 0o1777).dir('/var/tmp', 0o1777).dir('/root', 0o700);
  for (const d of ['services.d', 'panel.d', 'address.d', 'modules.d'])
    tree.dir(`/etc/tempest/${d}`);

  for (const name of OS_PACKAGES) {
    tree.addPackage(debs.get(name), {
      // busybox-static: the binary only (its applet links are made below).
      skip: name === 'busybox-static' ? [/^\/usr\/share\//] : [],
    });
  }
  const busybox = path.join(debs.get('busybox-static').dir, 'bin/busybox');
  for (const applet of run(busybox, ['--list-full'])
    .split('\n')
    .filter(Boolean)) {
    const p = mergedUsr(`/${applet}`);
    if (!tree.entries.has(p)) tree.symlink(p, '/usr/bin/busybox');
  }

  addGuestFiles(tree, path.join(GUEST_DIR, 'etc'), '/etc');
  addGuestFiles(tree, path.join(GUEST_DIR, 'usr'), '/usr');
  writeAccounts(tree, BASE_USERS, BASE_GROUPS);
  applianceInfo(tree, { label: OS_IMAGE.label, version: OS_IMAGE.version });
  tree.file(
    '/etc/os-release',
    `NAME="Tempest OS substrate"\nVERSION_ID="${OS_IMAGE.version}"\nID=tempest\nID_LIKE=debian\n`,
  );
  tree.file('/etc/hostname', 'localhost\n');
  tree.file(
    '/etc/nsswitch.conf',
    'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n',
  );
  tree.file('/etc/shells', '/bin/sh\n');
  tree.file(
    '/etc/profile',
    'export PATH=/usr/sbin:/usr/bin\nexport PS1="\\h:\\w\\$ "\n',
  );
  // busybox acpid runs an action from its directory (/etc/acpi), not from PATH:
  // the power button (PWRF) runs /etc/acpi/poweroff, and init then runs rcK.
  tree.file('/etc/acpid.conf', 'PWRF poweroff\n');
  tree.file(
    '/etc/acpi/poweroff',
    '#!/bin/sh\nexec /usr/sbin/poweroff\n',
    0o755,
  );
  tree.file('/etc/resolv.conf', '');

  const modules = kernel.modules(OS_MODULES);
  for (const m of modules)
    tree.copy(`/usr/lib/modules/${kernel.release}/${m.rel}`, m.file, 0o644);
  tree.file('/etc/tempest/modules', modules.map(m => `${m.rel}\n`).join(''));

  // The initramfs: busybox, its init, and the block driver's modules.
  const initrd = new Tree();
  initrd.copy('/bin/busybox', busybox, 0o755);
  initrd.copy('/init', path.join(GUEST_DIR, 'init'), 0o755);
  const early = kernel.modules(INITRAMFS_MODULES);
  for (const m of early)
    initrd.copy(`/lib/modules/${m.name}.ko`, m.file, 0o644);
  initrd.file(
    '/modules',
    early.map(m => `lib/modules/${m.name}.ko\n`).join(''),
  );
  return { tree, initrd };
}

export const SYSLINUX_CFG = `DEFAULT tempest
PROMPT 0
TIMEOUT 0
LABEL tempest
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND root=/dev/vda2 rw console=tty0 console=ttyS0,115200 loglevel=4 edd=off panic=10
`;
