import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Tests run from source, so the source location is the repository's.
// eslint-disable-next-line no-restricted-syntax
export const repoRoot = path.resolve(__dirname, '../../..');

export type Portal = {
  appUrl: string;
  backendUrl: string;
  logs: () => string;
  stop: () => Promise<void>;
};

async function waitFor(
  url: string,
  deadline: number,
  child: ChildProcess,
  logs: () => string,
) {
  let notYet: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `The portal exited with ${child.exitCode}:\n${logs().slice(-4000)}`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.status < 500) return;
    } catch (e) {
      notYet = e; // not listening yet
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(
    `${url} did not answer in time (${notYet}):\n${logs().slice(-4000)}`,
  );
}

/**
 * Starts the portal the way the README does (`backstage-cli repo start`), on
 * ports of its own so a developer's running portal is left alone.
 */
export async function startPortal(options: {
  appPort: number;
  backendPort: number;
}): Promise<Portal> {
  const { appPort, backendPort } = options;
  const appUrl = `http://localhost:${appPort}`;
  const backendUrl = `http://localhost:${backendPort}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-e2e-'));
  // The embedded default with its ports moved: the README's config, not a copy of it.
  const config = path.join(dir, 'app-config.e2e.yaml');
  const source = fs.readFileSync(
    path.join(repoRoot, 'app-config.yaml'),
    'utf8',
  );
  fs.writeFileSync(
    config,
    source
      .replaceAll('localhost:7007', `localhost:${backendPort}`)
      .replaceAll('localhost:3000', `localhost:${appPort}`)
      .replace(/^(\s+port:) 7007$/m, `$1 ${backendPort}`)
      .replaceAll('$file: catalog/', `$file: ${repoRoot}/catalog/`)
      .replace(/^(\s+dataDir:) .*$/m, `$1 ${path.join(dir, 'data')}`),
  );
  let output = '';
  const child = spawn(
    path.join(repoRoot, 'node_modules/.bin/backstage-cli'),
    ['repo', 'start', '--config', config],
    {
      cwd: repoRoot,
      detached: true,
      env: { ...process.env, BROWSER: 'none', NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', d => (output += d));
  child.stderr!.on('data', d => (output += d));
  const logs = () => output;
  const stop = async () => {
    if (child.exitCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise(r => child.once('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 200_000;
    await waitFor(`${backendUrl}/api/appliances/health`, deadline, child, logs);
    await waitFor(appUrl, deadline, child, logs);
  } catch (e) {
    await stop();
    throw e;
  }
  return { appUrl, backendUrl, logs, stop };
}
