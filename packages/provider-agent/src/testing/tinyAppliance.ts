import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { runCommand } from '../exec/runCommand';

/** Where the downloaded kernel and built initramfs are kept between runs. */
export const CACHE_DIR =
  process.env.TEMPEST_AGENT_CACHE ??
  path.join(os.tmpdir(), 'tempest-agent-cache');

const MODULES = [
  'kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
  'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
  'kernel/drivers/virtio/virtio_pci.ko',
  'kernel/drivers/block/virtio_blk.ko',
  'kernel/drivers/cdrom/cdrom.ko',
  'kernel/fs/isofs/isofs.ko',
  'kernel/net/core/failover.ko',
  'kernel/drivers/net/net_failover.ko',
  'kernel/drivers/net/virtio_net.ko',
];

export const OS_MARKER = 'TEMPEST-OS-LAYER';
export const APPLIANCE_MARKER = 'TEMPEST-APPLIANCE'; // written at 1 MiB of the appliance layer

// The guest's whole userland: load virtio and isofs, mount the cidata seed,
// then print what each layer and the seed hold to the serial console. With a
// NIC it asks DHCP for an address and serves its hostname over HTTP on port 80.
const INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /seed /bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for pass in 1 2; do for m in ${MODULES.map(m => path.basename(m, '.ko')).join(' ')}; do insmod /lib/modules/$m.ko 2>/dev/null; done; done
i=0; while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mount -t iso9660 -o ro /dev/vdb /seed
echo "TEMPEST-OS=$(dd if=/dev/vda bs=16 count=1 2>/dev/null)"
echo "TEMPEST-APPLIANCE=$(dd if=/dev/vda bs=1048576 skip=1 count=1 2>/dev/null | head -c 17)"
echo "TEMPEST-HOSTNAME=$(sed -n 's/^local-hostname: *//p' /seed/meta-data)"
echo "TEMPEST-FQDN=$(sed -n 's/^fqdn: *//p' /seed/user-data)"
echo TEMPEST-BOOTED
if [ -e /sys/class/net/eth0 ]; then (
  mkdir -p /www /usr/share/udhcpc
  echo "TEMPEST-WEB host=$(sed -n 's/^local-hostname: *//p' /seed/meta-data)" > /www/index.html
  printf '#!/bin/sh\ncase "$1" in bound|renew) ifconfig "$interface" "$ip" netmask "$subnet"; echo "TEMPEST-ADDRESS=$ip";; esac\n' > /usr/share/udhcpc/default.script
  chmod +x /usr/share/udhcpc/default.script
  ifconfig lo 127.0.0.1 up; ifconfig eth0 up
  httpd -p 80 -h /www
  udhcpc -i eth0 -s /usr/share/udhcpc/default.script -t 30 -T 2 -A 2 -b
) & fi
while true; do sleep 3600; done
`;

async function exists(p: string) {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** A Debian cloud kernel, downloaded once with apt-get and unpacked with dpkg-deb. */
async function cloudKernel(): Promise<{
  vmlinuz: string;
  modulesDir: string;
  version: string;
}> {
  const dir = path.join(CACHE_DIR, 'kernel');
  await fs.mkdir(dir, { recursive: true });
  let debs = (await fs.readdir(dir)).filter(f =>
    /^linux-image-.*-cloud-amd64_.*\.deb$/.test(f),
  );
  if (!debs.length) {
    const { stdout } = await runCommand('apt-cache', [
      'depends',
      'linux-image-cloud-amd64',
    ]);
    const pkg = /Depends: (linux-image-[\w.-]+-cloud-amd64)/.exec(stdout)?.[1];
    if (!pkg)
      throw new Error(
        'apt-cache knows no linux-image-*-cloud-amd64 (run apt-get update)',
      );
    await new Promise<void>((resolve, reject) => {
      const child = spawn('apt-get', ['download', pkg], {
        cwd: dir,
        stdio: 'ignore',
      });
      child.on('error', reject);
      child.on('exit', code =>
        code === 0
          ? resolve()
          : reject(new Error(`apt-get download ${pkg} exited ${code}`)),
      );
    });
    debs = (await fs.readdir(dir)).filter(f =>
      /^linux-image-.*-cloud-amd64_.*\.deb$/.test(f),
    );
  }
  const deb = debs.sort().pop()!;
  const unpacked = path.join(dir, deb.replace(/\.deb$/, ''));
  if (!(await exists(unpacked))) {
    await runCommand('dpkg-deb', [
      '-x',
      path.join(dir, deb),
      `${unpacked}.tmp`,
    ]);
    await fs.rename(`${unpacked}.tmp`, unpacked);
  }
  const vmlinuz = (await fs.readdir(path.join(unpacked, 'boot'))).find(f =>
    f.startsWith('vmlinuz-'),
  )!;
  const version = vmlinuz.slice('vmlinuz-'.length);
  return {
    vmlinuz: path.join(unpacked, 'boot', vmlinuz),
    modulesDir: path.join(unpacked, 'lib/modules', version),
    version,
  };
}

/** A gzip'd newc initramfs: static busybox, the init above, the modules it loads. */
async function initramfs(kernel: {
  modulesDir: string;
  version: string;
}): Promise<string> {
  const busybox = '/bin/busybox';
  const key = createHash('sha256')
    .update(INIT)
    .update(kernel.version)
    .digest('hex')
    .slice(0, 12);
  const out = path.join(CACHE_DIR, `initrd-${key}.gz`);
  if (await exists(out)) return out;
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-initrd-'));
  try {
    await fs.mkdir(path.join(root, 'bin'), { recursive: true });
    await fs.mkdir(path.join(root, 'lib/modules'), { recursive: true });
    await fs.copyFile(busybox, path.join(root, 'bin/busybox'));
    await fs.chmod(path.join(root, 'bin/busybox'), 0o755);
    await fs.writeFile(path.join(root, 'init'), INIT, { mode: 0o755 });
    for (const m of MODULES)
      await fs.copyFile(
        path.join(kernel.modulesDir, m),
        path.join(root, 'lib/modules', path.basename(m)),
      );
    const files = [
      'bin',
      'bin/busybox',
      'init',
      'lib',
      'lib/modules',
      ...MODULES.map(m => `lib/modules/${path.basename(m)}`),
    ];
    const cpio = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(
        'cpio',
        ['-o', '-H', 'newc', '-R', '0:0', '--quiet'],
        { cwd: root },
      );
      const chunks: Buffer[] = [];
      child.stdout.on('data', c => chunks.push(c));
      child.on('error', reject);
      child.on('exit', code =>
        code === 0
          ? resolve(Buffer.concat(chunks))
          : reject(new Error(`cpio exited ${code}`)),
      );
      child.stdin.end(`${files.join('\n')}\n`);
    });
    await fs.writeFile(`${out}.tmp`, zlib.gzipSync(cpio));
    await fs.rename(`${out}.tmp`, out);
    return out;
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

export interface TinyAppliance {
  kernel: string;
  initrd: string;
  /** A standalone qcow2 OS image with OS_MARKER at offset 0. */
  osImage: string;
  /** A standalone qcow2 appliance image with APPLIANCE_MARKER at 1 MiB (rebased onto the OS on install). */
  applianceImage: string;
}

/** Builds (or reuses from the cache) a bootable appliance from Debian packages. */
export async function buildTinyAppliance(
  workDir: string,
): Promise<TinyAppliance> {
  const kernel = await cloudKernel();
  const initrd = await initramfs(kernel);
  const raw = path.join(workDir, 'os.raw');
  const osImage = path.join(workDir, 'os.qcow2');
  const applianceImage = path.join(workDir, 'appliance.qcow2');
  const osBytes = Buffer.alloc(2 * 1024 * 1024);
  osBytes.write(OS_MARKER, 0);
  await fs.writeFile(raw, osBytes);
  await runCommand('qemu-img', [
    'convert',
    '-q',
    '-f',
    'raw',
    '-O',
    'qcow2',
    raw,
    osImage,
  ]);
  await fs.rm(raw);
  await runCommand('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    applianceImage,
    '2M',
  ]);
  const markerFile = path.join(workDir, 'marker');
  await fs.writeFile(markerFile, APPLIANCE_MARKER);
  // qemu-io writes the marker bytes into the qcow2 at 1 MiB: offset 0 stays unallocated and falls through to the OS layer.
  await runCommand('qemu-io', [
    '-f',
    'qcow2',
    '-c',
    `write -s ${markerFile} 1M ${APPLIANCE_MARKER.length}`,
    applianceImage,
  ]);
  await fs.rm(markerFile);
  return { kernel: kernel.vmlinuz, initrd, osImage, applianceImage };
}
