import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
// Node-only client; -common does not export it from its (browser-safe) index.
import { createAgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import {
  AgentConfig,
  AgentConfigInput,
  loadAgentConfig,
} from '../config/AgentConfig';
import {
  RunningAgent,
  startAgentServer,
  StartAgentOptions,
} from '../server/startAgentServer';
import { createTestPki } from './testPki';

export interface TestAgent {
  agent: RunningAgent;
  config: AgentConfig;
  client: ReturnType<typeof createAgentClient>;
  pki: Awaited<ReturnType<typeof createTestPki>>;
  dir: string;
  /** Stops the agent and starts a new one on the same data directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a real agent (HTTPS, mutual TLS) on a free port with a throwaway data directory. */
export async function startTestAgent(
  overrides: AgentConfigInput = {},
  options: StartAgentOptions & {
    dir?: string;
    /** Passed to createTestPki: a shared CA, an enrolled agent's host id. */
    pki?: Parameters<typeof createTestPki>[1];
  } = {},
): Promise<TestAgent> {
  const dir =
    options.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-agent-')));
  const pki = await createTestPki(path.join(dir, 'tls'), options.pki);
  const config = loadAgentConfig({
    overrides: {
      name: 'test-host',
      driver: 'simulated',
      dataDir: path.join(dir, 'data'),
      listen: { host: '127.0.0.1', port: 0 },
      tls: pki.files,
      logLevel: process.env.AGENT_TEST_LOG ?? 'silent',
      ...overrides,
    },
  });
  const logger = options.logger ?? pino({ level: config.logLevel });
  const makeClient = (url: string) =>
    createAgentClient({
      baseUrl: url,
      ca: pki.ca.cert,
      cert: pki.client.cert,
      key: pki.client.key,
    });

  const handle: TestAgent = {
    agent: await startAgentServer(config, { ...options, logger }),
    config,
    client: undefined as any,
    pki,
    dir,
    async restart() {
      handle.client.close();
      await handle.agent.stop();
      handle.agent = await startAgentServer(
        { ...config, listen: { ...config.listen, port: 0 } },
        { ...options, logger },
      );
      handle.client = makeClient(handle.agent.url);
    },
    async close() {
      handle.client.close();
      await handle.agent.stop();
      if (!options.dir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
  handle.client = makeClient(handle.agent.url);
  return handle;
}
