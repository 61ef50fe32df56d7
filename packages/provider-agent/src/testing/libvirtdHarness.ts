import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { runCommand } from '../exec/runCommand';
import { unlessMissing } from '../storage/unlessMissing';

export interface LibvirtdHandle {
  dir: string;
  socket: string;
  /** qemu driver (TCG guests) through this daemon. */
  qemuUri: string;
  /** test driver through this daemon; keeps state while the harness holds a connection. */
  testUri: string;
  /**
   * The daemon's `/run/libvirt` as this process sees it: a folder made
   * under it is at `/run/libvirt/<folder>` for the daemon and its guests
   * (live migrations' sockets).
   */
  runDir: string;
  /** A process in the daemon's network namespace (`nsenter -t PID -n` reaches its networks). */
  netnsPid: number;
  /** A TCP stream to a port on the loopback of the daemon's namespace (where its guests' VNC displays listen). */
  connectLoopback(port: number): Promise<Duplex>;
  stop(): Promise<void>;
}

const LIBVIRTD_CONF = `unix_sock_dir = "@SOCK@"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
host_uuid = "@UUID@"
`;
// Guests run as root on files in temp dirs: no ownership changes, no security driver.
const QEMU_CONF = `user = "root"
group = "root"
swtpm_user = "root"
swtpm_group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
`;

async function waitUntil(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

/**
 * Starts a private libvirtd for one test run: its own network and mount
 * namespaces (`unshare -n -m`), its config, state and socket in a temp dir,
 * and a passwd overlay with the libvirt-qemu user the qemu driver expects.
 */
export async function startLibvirtd(): Promise<LibvirtdHandle> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tempest-libvirtd-'));
  const sub = (n: string) => path.join(dir, n);
  for (const d of ['etc', 'lib', 'cache', 'run', 'sock', 'log'])
    await fsp.mkdir(sub(d), { recursive: true });
  await fsp.writeFile(
    sub('etc/libvirtd.conf'),
    // Each daemon its own host uuid: libvirt refuses to migrate "to the same host".
    LIBVIRTD_CONF.replace('@SOCK@', sub('sock')).replace(
      '@UUID@',
      randomUUID(),
    ),
  );
  await fsp.writeFile(sub('etc/qemu.conf'), QEMU_CONF);
  let passwd = await fsp.readFile('/etc/passwd', 'utf8');
  let group = await fsp.readFile('/etc/group', 'utf8');
  if (!/^libvirt-qemu:/m.test(passwd))
    passwd +=
      'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin\n';
  if (!/^libvirt-qemu:/m.test(group)) group += 'libvirt-qemu:x:64055:\n';
  if (!/^kvm:/m.test(group)) group += 'kvm:x:64056:\n';
  await fsp.writeFile(sub('passwd'), passwd);
  await fsp.writeFile(sub('group'), group);

  const holder = spawn(
    'unshare',
    ['-n', '-m', '--propagation', 'private', 'sleep', 'infinity'],
    { stdio: 'ignore' },
  );
  const pid = String(holder.pid);
  const ownMnt = fs.readlinkSync('/proc/self/ns/mnt');
  await waitUntil(
    async () =>
      fs.existsSync(`/proc/${pid}/ns/mnt`) &&
      fs.readlinkSync(`/proc/${pid}/ns/mnt`) !== ownMnt,
    5_000,
    'the namespace',
  );
  const inNs = (args: string[]) =>
    runCommand('nsenter', ['-t', pid, '-m', '-n', ...args]);
  const binds: Array<[string, string]> = [
    [sub('passwd'), '/etc/passwd'],
    [sub('group'), '/etc/group'],
    [sub('etc'), '/etc/libvirt'],
    [sub('lib'), '/var/lib/libvirt'],
    [sub('cache'), '/var/cache/libvirt'],
    [sub('run'), '/run/libvirt'],
    [sub('log'), '/var/log/libvirt'],
  ];
  try {
    // A new namespace's loopback is down; guests' VNC displays listen on it.
    await runCommand('nsenter', [
      '-t',
      pid,
      '-n',
      'ip',
      'link',
      'set',
      'lo',
      'up',
    ]);
    for (const [source, target] of binds) {
      if (!target.startsWith('/etc/')) await inNs(['mkdir', '-p', target]);
      await inNs(['mount', '--bind', source, target]);
    }
  } catch (e) {
    holder.kill('SIGKILL');
    await fsp.rm(dir, { recursive: true, force: true });
    throw e;
  }
  const log = fs.openSync(sub('libvirtd.log'), 'a');
  const daemon = spawn(
    'nsenter',
    ['-t', pid, '-m', '-n', 'libvirtd', '--pid-file', sub('libvirtd.pid')],
    {
      stdio: ['ignore', log, log],
    },
  );
  const socket = path.join(sub('sock'), 'libvirt-sock');
  const qemuUri = `qemu+unix:///system?socket=${socket}`;
  const testUri = `test+unix:///default?socket=${socket}`;
  let keeper: ChildProcess | undefined;

  const stop = async () => {
    try {
      const names = (
        await runCommand('virsh', [
          '-q',
          '-c',
          qemuUri,
          'list',
          '--name',
        ]).catch((e: unknown) => {
          console.warn(`libvirtd harness: cannot list guests to stop: ${e}`);
          return { stdout: '' };
        })
      ).stdout;
      for (const name of names
        .split('\n')
        .map(n => n.trim())
        .filter(Boolean)) {
        await runCommand('virsh', ['-q', '-c', qemuUri, 'destroy', name]).catch(
          (e: unknown) =>
            console.warn(`libvirtd harness: cannot destroy ${name}: ${e}`),
        );
      }
    } finally {
      keeper?.stdin?.end();
      keeper?.kill();
      daemon.kill('SIGTERM');
      await new Promise(r =>
        daemon.exitCode !== null ? r(null) : daemon.once('exit', r),
      );
      // Guests outlive libvirtd: end any qemu it left behind.
      const qemuRun = sub('run/qemu');
      for (const f of await unlessMissing(fsp.readdir(qemuRun), [])) {
        if (!f.endsWith('.pid')) continue;
        const qemuPid = Number(
          (await fsp.readFile(path.join(qemuRun, f), 'utf8')).trim(),
        );
        if (qemuPid > 0) {
          try {
            process.kill(qemuPid, 'SIGKILL');
          } catch (e) {
            // ESRCH: already gone.
            if ((e as NodeJS.ErrnoException).code !== 'ESRCH')
              console.warn(
                `libvirtd harness: cannot end qemu ${qemuPid}: ${e}`,
              );
          }
        }
      }
      holder.kill('SIGKILL');
      fs.closeSync(log);
      await fsp.rm(dir, { recursive: true, force: true });
    }
  };

  try {
    await waitUntil(
      () =>
        runCommand('virsh', ['-c', qemuUri, 'version'], {
          timeoutMs: 5_000,
        }).then(
          () => true,
          () => false,
        ),
      90_000,
      'libvirtd',
    );
    // One open connection keeps the test driver's state between virsh calls.
    keeper = spawn('virsh', ['-c', testUri], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    await new Promise(r => setTimeout(r, 300));
  } catch (e) {
    const tail = await unlessMissing(
      fsp.readFile(sub('libvirtd.log'), 'utf8'),
      '',
    );
    await stop();
    throw new Error(`${(e as Error).message}\n${tail.slice(-2000)}`);
  }
  const connectLoopback = async (port: number): Promise<Duplex> => {
    // busybox nc inside the namespace, its stdio as the stream.
    const nc = spawn(
      'nsenter',
      ['-t', pid, '-n', 'busybox', 'nc', '127.0.0.1', String(port)],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    const stream = Duplex.from({ readable: nc.stdout, writable: nc.stdin });
    stream.on('close', () => nc.kill());
    return stream;
  };
  return {
    dir,
    socket,
    qemuUri,
    testUri,
    runDir: sub('run'),
    netnsPid: holder.pid!,
    connectLoopback,
    stop,
  };
}
