import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './createProgram';

const BIN = path.resolve(__dirname, '../../bin/tempest-agent');

describe('tempest-agent CLI', () => {
  let dir: string;
  let stderr: jest.SpyInstance;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-cli-'));
  });
  beforeEach(() => {
    process.exitCode = undefined;
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.exitCode = undefined;
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const cli = (...args: string[]) => runCli(['node', 'tempest-agent', ...args]);

  it('creates a CA and issues server and client certificates with 0600 keys', async () => {
    await cli('ca', 'init', '--dir', path.join(dir, 'ca'));
    await cli(
      'cert',
      'issue',
      '--ca-dir',
      path.join(dir, 'ca'),
      '--kind',
      'server',
      '--name',
      'localhost',
      '--san',
      'IP:127.0.0.1',
    );
    await cli(
      'cert',
      'issue',
      '--ca-dir',
      path.join(dir, 'ca'),
      '--kind',
      'client',
      '--name',
      'backend',
      '--out',
      path.join(dir, 'client'),
    );
    expect(process.exitCode).toBeUndefined();
    for (const key of ['ca/ca.key', 'ca/localhost.key', 'client/backend.key']) {
      expect((await fs.stat(path.join(dir, key))).mode & 0o777).toBe(0o600);
    }
    await cli('ca', 'init', '--dir', path.join(dir, 'ca'));
    expect(process.exitCode).toBe(1);
    expect(stderr).toHaveBeenCalledWith(
      expect.stringContaining('pass --force'),
    );
  });

  it("enroll exits 2 with the backend's reason for a refused token and 3 for an unreachable backend", async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            name: 'NotAllowedError',
            message: 'The enrolment token is unknown, used or expired',
          },
        }),
      );
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/api/appliances/agent/enroll`;
    const args = ['--token', 'tempest-enrol-0123456789abcdef'];
    const dataDir = ['--data-dir', path.join(dir, 'enrol')];
    await cli('enroll', '--url', url, ...args, ...dataDir);
    expect(process.exitCode).toBe(2);
    expect(stderr).toHaveBeenCalledWith(
      'tempest-agent: ENROLMENT_REFUSED: The backend refused the enrolment (403): The enrolment token is unknown, used or expired\n',
    );
    await new Promise<void>(r => server.close(() => r()));
    await cli('enroll', '--url', url, ...args, ...dataDir);
    expect(process.exitCode).toBe(3);
    expect(stderr).toHaveBeenCalledWith(
      expect.stringMatching(/BACKEND_UNREACHABLE: Cannot reach the backend/),
    );
    await cli('enroll', '--url', 'file:///etc/passwd', ...args, ...dataDir);
    expect(process.exitCode).toBe(1);

    // The token can come from the environment, out of the process list.
    process.exitCode = undefined;
    process.env.TEMPEST_AGENT_ENROL_TOKEN = 'too-short';
    try {
      await cli('enroll', '--url', 'http://tempest.example/enroll', ...dataDir);
    } finally {
      delete process.env.TEMPEST_AGENT_ENROL_TOKEN;
    }
    expect(process.exitCode).toBe(1);
    expect(stderr).toHaveBeenCalledWith(
      expect.stringMatching(
        /warning: http:\/\/tempest.example\/enroll is plain http/,
      ),
    );
    expect(stderr).toHaveBeenCalledWith(
      expect.stringMatching(
        /INVALID_REQUEST: The enrolment token must be 16–128/,
      ),
    );
  });

  it('serves from flags alone and stops cleanly on SIGTERM', async () => {
    const ca = path.join(dir, 'ca');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'serve',
        '--driver',
        'simulated',
        '--name',
        'sim-host-1',
        '--port',
        '0',
        '--data-dir',
        path.join(dir, 'data'),
        '--tls-cert',
        path.join(ca, 'localhost.crt'),
        '--tls-key',
        path.join(ca, 'localhost.key'),
        '--tls-ca',
        path.join(ca, 'ca.crt'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', c => (out += c));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no listening line: ${out}`)),
        30_000,
      );
      child.stdout.on('data', () => {
        const match = /"port":(\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    const [caCert, cert, key] = await Promise.all(
      ['ca/ca.crt', 'client/backend.crt', 'client/backend.key'].map(f =>
        fs.readFile(path.join(dir, f)),
      ),
    );
    const info = await new Promise<any>((resolve, reject) => {
      https
        .get(
          `https://127.0.0.1:${port}/v1/info`,
          { ca: caCert, cert, key, agent: false, servername: 'localhost' },
          res => {
            let body = '';
            res.on('data', c => (body += c));
            res.on('end', () => resolve(JSON.parse(body)));
          },
        )
        .on('error', reject);
    });
    expect(info).toMatchObject({ name: 'sim-host-1', driver: 'simulated' });
    child.kill('SIGTERM');
    const code = await new Promise(r => child.on('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('agent stopped');
  }, 60_000);
});
