import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** Runs a command (an argument array) in libvirtd's network namespace, where its guests' networks are. */
export async function inNamespace(
  libvirt: { netnsPid: number },
  command: string[],
  timeoutMs = 30_000,
): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(
    'nsenter',
    ['-t', String(libvirt.netnsPid), '-n', ...command],
    { timeout: timeoutMs },
  );
}
