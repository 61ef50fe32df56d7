import path from 'node:path';
import pino from 'pino';
import {
  AgentConfigInput,
  loadAgentConfig,
  RunningAgent,
  startAgentServer,
  writeCertificate,
  writePrivateKey,
} from '@tempest/provider-agent';
import { freePort } from './freePort';
import { waitFor } from './waitFor';

export type ApiCall = (
  method: string,
  url: string,
  body?: unknown,
) => Promise<{ status: number; body: any }>;

/**
 * Does what a provider does for a new libvirt host: registers it through the
 * API (cheap test prices), enrols its agent with the one-time token, writes
 * the issued certificate and key under `work/<dir>` (default `agent`; give
 * each agent of a test its own), starts the agent with them, its data in
 * `work/<dir>/data`, on a free port, and waits until the backend sees the host online.
 */
export async function enrolTestAgent(options: {
  call: ApiCall;
  work: string;
  name: string;
  /** The agent's folder under `work`: its certificates and data. Default `agent`. */
  dir?: string;
  cpuModel: string;
  cpuCores: number;
  memoryMb: number;
  hypervisorUri: string;
  networks?: AgentConfigInput['networks'];
  /** Where live moves' sockets go (a libvirtd in its own mount namespace sees them elsewhere). */
  migration?: AgentConfigInput['migration'];
  onlineWithinMs: number;
}): Promise<{ agent: RunningAgent; hostId: string }> {
  const { call, work, name } = options;
  const dir = path.join(work, options.dir ?? 'agent');
  const agentPort = await freePort();
  const registered = await call('POST', '/api/appliances/hosts', {
    name,
    cpuModel: options.cpuModel,
    coreSpeedMhz: 2000,
    cpuCores: options.cpuCores,
    memoryMb: options.memoryMb,
    storageMb: 100000,
    pricing: {
      speedUnitMhz: 1000,
      speedPriceMinor: 4,
      memoryUnitMb: 1024,
      memoryPriceMinor: 2,
      runningPeriodSeconds: 3600,
      storageUnitMb: 10240,
      storagePriceMinor: 3,
      storagePeriodSeconds: 86400,
    },
    agentUrl: `https://127.0.0.1:${agentPort}`,
  });
  if (registered.status !== 201)
    throw new Error(
      `Registering ${name} answered ${registered.status} ${JSON.stringify(registered.body)}`,
    );
  const enrolled = await call('POST', registered.body.enrolment.enrolUrl, {
    token: registered.body.enrolment.token,
  });
  if (enrolled.status !== 200)
    throw new Error(
      `Enrolling ${name} answered ${enrolled.status} ${JSON.stringify(enrolled.body)}`,
    );
  const tls = {
    ca: path.join(dir, 'ca.crt'),
    cert: path.join(dir, 'agent.crt'),
    key: path.join(dir, 'agent.key'),
  };
  await writeCertificate(tls.ca, enrolled.body.caCert);
  await writeCertificate(tls.cert, enrolled.body.cert);
  await writePrivateKey(tls.key, enrolled.body.key);
  const agent = await startAgentServer(
    loadAgentConfig({
      overrides: {
        name,
        driver: 'libvirt',
        hypervisor: { uri: options.hypervisorUri },
        dataDir: path.join(dir, 'data'),
        listen: { host: '127.0.0.1', port: agentPort },
        tls,
        ...(options.networks ? { networks: options.networks } : {}),
        ...(options.migration ? { migration: options.migration } : {}),
        backend: {
          heartbeatUrl: enrolled.body.heartbeatUrl,
          heartbeatIntervalSeconds: 2,
          token: enrolled.body.heartbeatToken,
        },
      },
    }),
    { logger: pino({ level: 'warn' }) },
  );
  const hostId: string = registered.body.host.id;
  await waitFor(
    'the host to come online',
    async () =>
      (await call('GET', `/api/appliances/hosts/${hostId}`)).body.state ===
      'online',
    options.onlineWithinMs,
  );
  return { agent, hostId };
}
