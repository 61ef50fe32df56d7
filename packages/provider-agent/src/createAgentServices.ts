import type { AgentApiSchemas } from './api/apiTypes';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { AgentConfig } from './config/AgentConfig';
import { DiskStore } from './disks/DiskStore';
import { InstanceDisks } from './disks/InstanceDisks';
import { QemuImgDiskStore } from './disks/QemuImgDiskStore';
import { SimulatedDiskStore } from './disks/SimulatedDiskStore';
import { DomainService } from './domains/DomainService';
import { Hypervisor } from './hypervisor/Hypervisor';
import { SimulatedHypervisor } from './hypervisor/SimulatedHypervisor';
import { VirshHypervisor } from './hypervisor/VirshHypervisor';
import { ImageStore } from './images/ImageStore';
import { DiskExports } from './migration/DiskExports';
import { DiskImports } from './migration/DiskImports';
import { defaultSocketDir } from './migration/defaultSocketDir';
import { IncomingMigrations } from './migration/IncomingMigrations';
import { LiveMigrations } from './migration/LiveMigrations';
import { canActAsClient } from './migration/peerIdentity';
import { findProgram } from './exec/findProgram';
import { GenisoimageSeedBuilder } from './seed/GenisoimageSeedBuilder';
import { SeedBuilder } from './seed/SeedBuilder';
import { SimulatedSeedBuilder } from './seed/SimulatedSeedBuilder';
import {
  allocatedBytes,
  allocatedBytesByEntry,
  filesystemSpace,
} from './stats/diskUsage';
import { StatsSampler } from './stats/StatsSampler';
import { agentVersion } from './version';

export interface AgentServices {
  config: AgentConfig;
  logger: Logger;
  startedAt: Date;
  hypervisor: Hypervisor;
  diskStore: DiskStore;
  seedBuilder: SeedBuilder;
  images: ImageStore;
  disks: InstanceDisks;
  domains: DomainService;
  exports: DiskExports;
  imports: DiskImports;
  incoming: IncomingMigrations;
  migrations: LiveMigrations;
  stats: StatsSampler;
  info(): Promise<AgentInfo>;
  /** Cancels running downloads, imports and live migrations, withdraws exports and incoming migrations, and waits for their cleanup. */
  close(): Promise<void>;
}

export type AgentInfo = AgentApiSchemas['Info'];

export const CAPABILITIES = [
  'images',
  'downloads',
  'disks',
  'seed',
  'domains',
  'console',
  'networks',
  'stats',
  'heartbeat',
];

/** Disk exports and imports between agents: offered when rsync is installed and the agent's certificate may call another agent. */
export const MIGRATION_CAPABILITY = 'migration';

/** Live migration of running domains: with `migration`, on a hypervisor a peer can reach (libvirt's RPC socket, or simulated). */
export const LIVE_MIGRATION_CAPABILITY = 'live-migration';

/** Builds the drivers the config names and the services on top of them. */
export async function createAgentServices(
  config: AgentConfig,
  logger: Logger,
  drivers: {
    hypervisor?: Hypervisor;
    diskStore?: DiskStore;
    seedBuilder?: SeedBuilder;
  } = {},
): Promise<AgentServices> {
  const dataDir = path.resolve(config.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const stateDir = path.join(dataDir, 'simulated');
  const simulated = config.driver === 'simulated';
  const socketDir = path.resolve(
    config.migration.socketDir ?? defaultSocketDir(dataDir),
  );
  const hypervisorSocketDir = config.migration.hypervisorSocketDir ?? socketDir;

  const hypervisor =
    drivers.hypervisor ??
    (simulated
      ? new SimulatedHypervisor({
          stateDir,
          node: {
            cpus: config.simulated.cpus,
            memoryBytes: config.simulated.memoryMiB * 1024 ** 2,
          },
          defaultLoad: config.simulated.defaultLoad,
          // Its "own mount namespace": the hypervisor's socket folder is the agent's.
          hostPath: p =>
            p === hypervisorSocketDir || p.startsWith(`${hypervisorSocketDir}/`)
              ? socketDir + p.slice(hypervisorSocketDir.length)
              : p,
          addressPools: Object.fromEntries(
            config.networks.map((n, i) => [
              n.libvirtNetwork ?? n.name,
              n.addressPool ?? `10.77.${i}.0/24`,
            ]),
          ),
        })
      : new VirshHypervisor({
          uri: config.hypervisor.uri,
          domainType: config.hypervisor.domainType,
        }));
  const diskStore =
    drivers.diskStore ??
    (simulated
      ? new SimulatedDiskStore(dataDir, stateDir)
      : new QemuImgDiskStore(dataDir));
  const seedBuilder =
    drivers.seedBuilder ??
    (simulated
      ? new SimulatedSeedBuilder(dataDir)
      : new GenisoimageSeedBuilder(dataDir));

  const simulatedDisk = simulated && Boolean(config.simulated.diskGiB);
  /** Free space; a simulated disk's is its size less what the data folder holds (`used`, when already counted). */
  const space = async (usedBytes?: number) => {
    const real = await filesystemSpace(dataDir);
    if (!simulated || !config.simulated.diskGiB) return real;
    const totalBytes = config.simulated.diskGiB * 1024 ** 3;
    const used = usedBytes ?? (await allocatedBytes(dataDir));
    return {
      totalBytes,
      freeBytes: Math.max(0, Math.min(real.freeBytes, totalBytes - used)),
    };
  };

  // images, disks and domains consult one another, so each finds the others here at call time.
  const late: { disks?: InstanceDisks; domains?: DomainService } = {};
  const images = new ImageStore({
    dataDir,
    diskStore,
    logger,
    stallTimeoutMs: config.downloads.stallTimeoutSeconds * 1000,
    freeBytes: async () =>
      (await space()).freeBytes - config.downloads.reserveBytes,
    layersInUse: () => late.disks!.layersInUse(),
  });
  await images.init();
  const disks = new InstanceDisks(
    dataDir,
    diskStore,
    seedBuilder,
    () => images,
    name => late.domains!.domainUsingDisk(name),
  );
  const domains = new DomainService(
    dataDir,
    hypervisor,
    disks,
    images,
    config.networks,
  );
  Object.assign(late, { disks, domains });
  const exports = new DiskExports(
    dataDir,
    disks,
    () => images,
    async disk => {
      const domain = await domains.domainUsingDisk(disk);
      if (!domain) return undefined;
      const { state } = await domains.state(domain);
      return state === 'shutoff' || state === 'crashed' ? undefined : domain;
    },
    logger,
  );
  await exports.init();
  const canCallPeers = await fs
    .readFile(config.tls.cert)
    .then(canActAsClient)
    .catch(e => {
      logger.warn(
        { err: (e as Error).message },
        'could not read tls.cert as a certificate: disk imports are off',
      );
      return false;
    });
  const imports = new DiskImports({
    dataDir,
    tls: config.tls,
    canCallPeers,
    bandwidthLimitKiBps: config.migration.bandwidthLimitKiBps,
    disks,
    images: () => images,
    logger,
  });
  await imports.init();
  const incoming = new IncomingMigrations({
    hypervisor,
    domains,
    socketDir,
    hypervisorSocketDir,
    logger,
  });
  await incoming.init();
  const migrations = new LiveMigrations({
    hypervisor,
    domains,
    canCallPeers,
    readTls: async () => {
      const [ca, cert, key] = await Promise.all([
        fs.readFile(config.tls.ca),
        fs.readFile(config.tls.cert),
        fs.readFile(config.tls.key),
      ]);
      return { ca, cert, key };
    },
    socketDir,
    hypervisorSocketDir,
    bandwidthLimitKiBps: config.migration.bandwidthLimitKiBps,
    logger,
  });
  const capabilities = [
    ...CAPABILITIES,
    ...(findProgram('rsync') && canCallPeers ? [MIGRATION_CAPABILITY] : []),
    ...(findProgram('rsync') &&
    canCallPeers &&
    (simulated || hypervisor.rpcSocket)
      ? [LIVE_MIGRATION_CAPABILITY]
      : []),
    ...(simulated ? ['simulated-load'] : []),
  ];
  const stats = new StatsSampler(hypervisor, () => domains.vcpus());
  const startedAt = new Date();

  // What the data folder holds, for info: a walk of every file, so the info
  // asked for in a burst (heartbeat, provisioning's define steps) shares one
  // walk made at most a second before.
  const agentDirs = ['images', 'deployments', 'disks'];
  let usageWalk:
    { at: number; usage: Promise<Map<string, number>> } | undefined;
  const usageNow = () => {
    if (!usageWalk || Date.now() - usageWalk.at > 1000) {
      const walk = { at: Date.now() } as NonNullable<typeof usageWalk>;
      walk.usage = (async () => {
        try {
          return await allocatedBytesByEntry(
            dataDir,
            simulatedDisk ? undefined : agentDirs,
          );
        } catch (e) {
          // A failed walk is not kept: the next call walks again.
          if (usageWalk === walk) usageWalk = undefined;
          throw e;
        }
      })();
      usageWalk = walk;
    }
    return usageWalk.usage;
  };

  const info = async (): Promise<AgentInfo> => {
    // One walk of the data folder counts both what the agent's files take
    // and, for a simulated disk, what is left of it.
    const usage = await usageNow();
    const bytesIn = (names: Iterable<string>) =>
      [...names].reduce((a, d) => a + (usage.get(d) ?? 0), 0);
    const usedByAgentBytes = bytesIn(agentDirs);
    const [node, snapshot, disk] = await Promise.all([
      hypervisor.nodeInfo(),
      stats.current(),
      space(simulatedDisk ? bytesIn(usage.keys()) : undefined),
    ]);
    let freeMemory = os.freemem();
    if (simulated) {
      const running = (await domains.list()).filter(
        d => d.state !== 'shutoff' && d.state !== 'crashed',
      );
      freeMemory = Math.max(
        0,
        node.memoryBytes -
          running.reduce((sum, d) => sum + d.spec.memoryMiB * 1024 ** 2, 0),
      );
    }
    return {
      name: config.name,
      version: agentVersion,
      apiVersion: 'v1',
      driver: hypervisor.driver,
      hypervisorUri: hypervisor.uri,
      diskStore: diskStore.driver,
      seedBuilder: seedBuilder.driver,
      capabilities,
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.floor((Date.now() - startedAt.getTime()) / 1000),
      hostUptimeSeconds: Math.floor(os.uptime()),
      cpu: {
        count: node.cpus,
        model: node.cpuModel,
        percent: snapshot.host.cpuPercent,
      },
      memory: {
        totalBytes: node.memoryBytes,
        freeBytes: Math.min(freeMemory, node.memoryBytes),
      },
      disk: { ...disk, usedByAgentBytes },
      networks: config.networks.map(n => ({ name: n.name, mode: n.mode })),
    };
  };

  return {
    config,
    logger,
    startedAt,
    hypervisor,
    diskStore,
    seedBuilder,
    images,
    disks,
    domains,
    exports,
    imports,
    incoming,
    migrations,
    stats,
    info,
    close: async () => {
      await Promise.all([images.close(), imports.close(), migrations.close()]);
      await Promise.all([exports.close(), incoming.close()]);
    },
  };
}
