import { LoggerService } from '@backstage/backend-plugin-api';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import {
  loadAgentConfig,
  RunningAgent,
  startAgentServer,
  writeCertificate,
  writePrivateKey,
} from '@tempest/provider-agent';
import { sha256Hex } from '../hosts/BackendPki';
import { HostEnrolment } from '../hosts/HostEnrolment';
import { HostStore } from '../hosts/HostStore';
import { SimulatedBmc } from '../power/SimulatedBmc';

export type EmbeddedHostsOptions = {
  count: number;
  cpus: number;
  memoryMiB: number;
  diskGiB: number;
  runningPeriodSeconds: number;
  storagePeriodSeconds: number;
  dataDir: string;
  owner: string;
  heartbeatUrl: string;
  heartbeatIntervalSeconds: number;
  hosts: HostStore;
  enrolment: HostEnrolment;
  logger: LoggerService;
  /** Simulated BMCs: a host powered off stops heartbeating until powered on. */
  bmc?: SimulatedBmc;
  /** How long a simulated host takes to boot before its agent heartbeats again. */
  bootSeconds?: number;
};

type SavedEnrolment = { heartbeatToken: string };

/**
 * The embedded default's hosts: simulated-driver agents run in this process,
 * registered and enrolled exactly as a provider's would be (token →
 * certificate → heartbeats), so a new user can provision at once.
 */
export class EmbeddedHosts {
  private readonly agents: RunningAgent[] = [];
  private readonly byBmc = new Map<string, RunningAgent>();
  private readonly boots = new Set<NodeJS.Timeout>();
  private unsubscribe?: () => void;

  constructor(private readonly o: EmbeddedHostsOptions) {}

  /** The simulated BMC's address of an embedded host. */
  static bmcAddress(name: string) {
    return `${name}.bmc.embedded`;
  }

  async start() {
    this.unsubscribe = this.o.bmc?.onPowerChange((address, power) => {
      const agent = this.byBmc.get(address);
      if (!agent?.heartbeat) return;
      if (power === 'off') {
        void agent.heartbeat.stop();
        return;
      }
      // A real host boots before its agent is heard again.
      const boot = setTimeout(
        () => {
          this.boots.delete(boot);
          agent.heartbeat?.start();
        },
        (this.o.bootSeconds ?? 3) * 1000,
      );
      this.boots.add(boot);
    });
    for (let i = 1; i <= this.o.count; i++) {
      try {
        this.agents.push(await this.startOne(`sim-host-${i}`, i));
      } catch (e) {
        this.o.logger.error(`Embedded host sim-host-${i} did not start: ${e}`);
      }
    }
  }

  private async startOne(name: string, index: number): Promise<RunningAgent> {
    const dir = path.join(this.o.dataDir, 'embedded-hosts', name);
    const tls = {
      cert: path.join(dir, 'tls', 'agent.crt'),
      key: path.join(dir, 'tls', 'agent.key'),
      ca: path.join(dir, 'tls', 'ca.crt'),
    };
    const saved = path.join(dir, 'enrolment.json');
    let heartbeatToken: string;
    const existing = await this.o.hosts.getByName(name);
    if (existing?.enrolledAt) {
      heartbeatToken = (
        JSON.parse(await fs.readFile(saved, 'utf8')) as SavedEnrolment
      ).heartbeatToken;
    } else {
      const token = this.o.enrolment.newToken();
      if (existing) {
        await this.o.hosts.setEnrolmentToken(
          existing.id,
          token.tokenHash,
          token.expiresAt,
        );
      } else {
        await this.o.hosts.create(
          {
            name,
            owner: this.o.owner,
            cpuModel: 'Simulated CPU',
            coreSpeedMhz: 2400 + 200 * index,
            cpuCores: this.o.cpus,
            memoryMb: this.o.memoryMiB,
            storageMb: this.o.diskGiB * 1024,
            // Prices differ a little per host so placement and the price limit have something to weigh.
            pricing: {
              speedUnitMhz: 1000,
              speedPriceMinor: 1 + index,
              memoryUnitMb: 1024,
              memoryPriceMinor: 2 + index,
              runningPeriodSeconds: this.o.runningPeriodSeconds,
              storageUnitMb: 10240,
              storagePriceMinor: 5 * index,
              storagePeriodSeconds: this.o.storagePeriodSeconds,
            },
            agentUrl: 'https://127.0.0.1',
          },
          { tokenHash: token.tokenHash, expiresAt: token.expiresAt },
        );
      }
      const enrolled = await this.o.enrolment.enrol({ token: token.token });
      await writeCertificate(tls.ca, enrolled.caCert);
      await writeCertificate(tls.cert, enrolled.cert);
      await writePrivateKey(tls.key, enrolled.key!);
      await writePrivateKey(
        saved,
        JSON.stringify({ heartbeatToken: enrolled.heartbeatToken }),
      );
      heartbeatToken = enrolled.heartbeatToken;
    }
    const config = loadAgentConfig({
      overrides: {
        name,
        driver: 'simulated',
        dataDir: path.join(dir, 'data'),
        listen: { host: '127.0.0.1', port: 0 },
        tls,
        backend: {
          heartbeatUrl: this.o.heartbeatUrl,
          heartbeatIntervalSeconds: this.o.heartbeatIntervalSeconds,
          token: heartbeatToken,
        },
        simulated: {
          cpus: this.o.cpus,
          memoryMiB: this.o.memoryMiB,
          diskGiB: this.o.diskGiB,
          defaultLoad: 0.05,
        },
        // Each simulated host hands out its own range, as separate LANs would;
        // a /16, so that a host as big as the bench's never runs out of addresses.
        networks: [
          {
            name: 'default',
            mode: 'nat',
            addressPool: `10.${76 + index}.0.0/16`,
          },
        ],
        logLevel: 'warn',
      },
    });
    const agent = await startAgentServer(config, {
      logger: pino({ level: 'warn', base: { agent: name } }),
    });
    // An embedded agent listens on a port chosen at start; the backend
    // records where its own agent is (no heartbeat may move a host's URL).
    const host = (await this.o.hosts.getByName(name))!;
    await this.o.hosts.setAgentUrl(host.id, agent.url);
    if (this.o.bmc) {
      const address = EmbeddedHosts.bmcAddress(name);
      if (!host.bmc?.hasCredentials)
        await this.o.hosts.setBmc(host.id, {
          address,
          username: 'admin',
          password: randomBytes(18).toString('base64url'),
        });
      this.byBmc.set(address, agent);
      // The simulated chassis lives in memory: it starts as the host was left.
      if (host.power.state === 'off') {
        this.o.bmc.pressButton(address, 'off');
        this.o.logger.info(`Embedded host ${name} is powered off`);
        return agent;
      }
    }
    // The backend is not listening yet while plugins start, so the first
    // heartbeat is recorded here rather than waiting a whole interval.
    await this.o.hosts.recordHeartbeat(sha256Hex(heartbeatToken), {
      info: { name, embedded: true },
    });
    this.o.logger.info(
      `Embedded host ${name} (simulated agent) at ${agent.url}`,
    );
    return agent;
  }

  async stop() {
    this.unsubscribe?.();
    for (const boot of this.boots) clearTimeout(boot);
    this.boots.clear();
    await Promise.all(this.agents.splice(0).map(a => a.stop()));
  }
}
