import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './startPortal';

export type Backend = {
  url: string;
  logs: () => string;
  stop: () => Promise<void>;
};

/**
 * Starts packages/backend alone on a port of its own: with the embedded
 * default plus `configFile`, or with exactly `configs` (paths as the README's
 * commands give them, relative to packages/backend) and extra environment.
 */
export async function startBackend(
  options: { port: number; env?: Record<string, string> } & (
    { configFile: string } | { configs: string[] }
  ),
): Promise<Backend> {
  const configs =
    'configs' in options
      ? options.configs
      : ['../../app-config.yaml', options.configFile];
  const url = `http://localhost:${options.port}`;
  let output = '';
  const child: ChildProcess = spawn(
    path.join(repoRoot, 'node_modules/.bin/backstage-cli'),
    ['package', 'start', ...configs.flatMap(c => ['--config', c])],
    {
      cwd: path.join(repoRoot, 'packages/backend'),
      detached: true,
      env: { ...process.env, NODE_ENV: 'development', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', d => (output += d));
  child.stderr!.on('data', d => (output += d));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise(r => child.once('exit', r));
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch (e) {
        // ESRCH: it ended meanwhile.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 150_000;
  let notYet: unknown;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`The backend exited:\n${output.slice(-4000)}`);
    try {
      if ((await fetch(`${url}/api/appliances/health`)).ok) break;
    } catch (e) {
      notYet = e; // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `The backend did not answer (${notYet}):\n${output.slice(-4000)}`,
      );
    }
    await new Promise(r => setTimeout(r, 500));
  }
  return { url, logs: () => output, stop };
}
