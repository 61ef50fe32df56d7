import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type LibvirtTestDaemon = {
  /** A stateful test-driver URI: state lives as long as the daemon and its keeper connection. */
  uri: string;
  stop(): Promise<void>;
};

/**
 * Starts libvirtd for libvirt's test driver, unprivileged (session mode, so
 * no QEMU user is needed) and in its own network namespace, plus one
 * long-lived `virsh event` connection that keeps the test driver's state
 * between the agent's separate virsh calls.
 */
export async function startLibvirtTestDaemon(): Promise<LibvirtTestDaemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-libvirt-'));
  fs.chmodSync(dir, 0o777);
  const conf = path.join(dir, 'libvirtd.conf');
  fs.writeFileSync(
    conf,
    [
      `unix_sock_dir = "${dir}"`,
      'auth_unix_rw = "none"',
      'auth_unix_ro = "none"',
      'unix_sock_rw_perms = "0777"',
      'unix_sock_ro_perms = "0777"',
    ].join('\n'),
  );
  const socket = path.join(dir, 'libvirt-sock');
  const daemon = spawn(
    'unshare',
    [
      '-n',
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'env',
      `HOME=${dir}`,
      `XDG_RUNTIME_DIR=${dir}`,
      `XDG_CONFIG_HOME=${dir}/config`,
      `XDG_CACHE_HOME=${dir}/cache`,
      '/usr/sbin/libvirtd',
      '--config',
      conf,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let log = '';
  daemon.stderr!.on('data', d => (log += d));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(socket)) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      throw new Error(`libvirtd did not start: ${log.slice(-2000)}`);
    }
    await new Promise(r => setTimeout(r, 200));
  }
  const uri = `test+unix:///default?socket=${socket}`;
  const keeper: ChildProcess = spawn(
    'virsh',
    ['-c', uri, 'event', '--all', '--loop'],
    { stdio: 'ignore' },
  );
  await new Promise(r => setTimeout(r, 500));
  return {
    uri,
    async stop() {
      keeper.kill('SIGTERM');
      try {
        process.kill(-daemon.pid!, 'SIGTERM');
      } catch (e) {
        // ESRCH: already gone.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
      await new Promise(r => setTimeout(r, 300));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
