import {
  AuditorService,
  DiscoveryService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { HOSTING_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';
import { Config } from '@backstage/config';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Knex } from 'knex';
import { ApplianceDirectory } from '../appliances/ApplianceDirectory';
import { ApplianceStore } from '../database/ApplianceStore';
import { ChannelStore } from '../database/ChannelStore';
import { AgentConnector } from '../hosts/AgentConnector';
import { BackendPki } from '../hosts/BackendPki';
import { HostEnrolment } from '../hosts/HostEnrolment';
import { HostMonitor } from '../hosts/HostMonitor';
import { HostStore } from '../hosts/HostStore';
import { SecretBox } from '../hosts/SecretBox';
import { InstanceStore } from '../instances/InstanceStore';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { InstanceActions } from '../instances/InstanceActions';
import { InstanceReconciler } from '../instances/InstanceReconciler';
import { InterruptedActions } from '../instances/InterruptedActions';
import { ProvisioningService } from '../instances/ProvisioningService';
import { ImageDigests } from '../operations/ImageDigests';
import { Dispatcher } from 'undici';
import { ImageLayers } from '../operations/ImageLayers';
import { OperationStore } from '../operations/OperationStore';
import { EventLoopPacer } from '../operations/EventLoopPacer';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import { EmbeddedHosts } from './EmbeddedHosts';
import { createPower } from '../power/createPower';
import { SimulatedBmc } from '../power/SimulatedBmc';
import { BmcDriver } from '../power/BmcDriver';
import { ConsoleSessions } from '../console/ConsoleSessions';
import { ConsoleTicketStore } from '../console/ConsoleTicketStore';
import { InstanceConsole } from '../console/InstanceConsole';
import { readHostingConfig } from './readHostingConfig';

export type Hosting = Awaited<ReturnType<typeof createHosting>>;

async function secretKeyOf(
  dataDir: string,
  configured: string | undefined,
  logger: LoggerService,
) {
  if (configured) return configured;
  const file = path.join(dataDir, 'secret.key');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const key = randomBytes(32).toString('base64url');
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    await fs.writeFile(file, key, { mode: 0o600, flag: 'wx' });
    logger.warn(
      `appliances.secretKey is not set; generated one in ${file}. Set it in production.`,
    );
    return key;
  }
}

/**
 * Hosts, enrolment, heartbeats, instances and provisioning operations:
 * builds the services, schedules the offline check and the resumption of
 * unfinished operations, and starts the embedded hosts when configured.
 */
export async function createHosting(deps: {
  config: Config;
  db: Knex;
  logger: LoggerService;
  auditor: AuditorService;
  scheduler: SchedulerService;
  discovery: DiscoveryService;
  /** Where changed instances are announced (the catalog module follows them). */
  events?: EventsService;
  channels: ChannelStore;
  appliances: ApplianceStore;
  directory: ApplianceDirectory;
  /** Where image downloads may connect (the backend hashes images once). */
  outbound?: Dispatcher;
  /** A BMC driver instead of the configured one (tests). */
  bmcDriver?: BmcDriver;
}) {
  const config = readHostingConfig(deps.config);
  const logger = deps.logger.child({ part: 'hosting' });
  const secrets = new SecretBox(
    await secretKeyOf(config.dataDir, config.secretKey, logger),
  );
  const pki = await BackendPki.open(config.dataDir, logger);
  const hosts = new HostStore(deps.db, secrets);
  const enrolment = new HostEnrolment(
    hosts,
    pki,
    config.enrolmentTokenMinutes * 60_000,
  );
  const instances = new InstanceStore(deps.db);
  const operations = new OperationStore(deps.db);
  const events = new InstanceEventStore(deps.db, {
    onStateChanged: () =>
      void deps.events
        ?.publish({ topic: HOSTING_CHANGED_TOPIC, eventPayload: {} })
        .catch(e => logger.warn(`Could not announce a changed instance: ${e}`)),
  });
  const agents = new AgentConnector(pki);
  const layers = new ImageLayers({
    appliances: deps.appliances,
    channels: deps.channels,
    digests: new ImageDigests(deps.db, {
      maxBytes: config.maxImageBytes,
      timeoutMs: 60_000,
      dispatcher: deps.outbound,
    }),
    osImages: config.osImages,
  });
  const pacer = new EventLoopPacer();
  // Forced power-offs stop instances through the instance actions, which
  // need the runner, which needs power: the actions are filled in below.
  const late: { actions?: InstanceActions } = {};
  const power = createPower({
    config: deps.config,
    db: deps.db,
    hosts,
    instances,
    offlineAfterMs: config.offlineAfterSeconds * 1000,
    logger,
    auditor: deps.auditor,
    driver: deps.bmcDriver,
    async stopInstance(instance, actor) {
      const fresh = (await instances.get(instance.id))!;
      if (fresh.state === 'started' || fresh.state === 'suspended')
        await late.actions!.run(fresh, 'stop', fresh.version, actor);
    },
    async migrateInstance(move) {
      const instance = await instances.get(move.instanceId);
      if (!instance) return;
      await late.actions!.run(instance, 'migrate', move.version, 'power-loop', {
        hostId: move.toHostId,
      });
    },
  });
  const runner = new ProvisionRunner({
    db: deps.db,
    hosts,
    instances,
    operations,
    appliances: deps.appliances,
    layers,
    agents,
    logger: logger.child({ part: 'provisioning' }),
    auditor: deps.auditor,
    concurrency: config.provisioningConcurrency,
    addressWaitMs: config.addressWaitSeconds * 1000,
    currency: config.currency,
    pacer,
    events,
    secrets,
    power: power.power,
    powerOnTimeoutMs: power.config.powerOnTimeoutMs,
  });
  const actions = (late.actions = new InstanceActions({
    db: deps.db,
    instances,
    events,
    hosts,
    operations,
    agents,
    kick: id => void runner.kick(id),
    shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
    logger: logger.child({ part: 'actions' }),
    currency: config.currency,
  }));
  const interrupted = new InterruptedActions({
    instances,
    events,
    hosts,
    operations,
    agents,
    auditor: deps.auditor,
    logger: logger.child({ part: 'actions' }),
    shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
  });
  const reconciler = new InstanceReconciler({
    instances,
    events,
    hosts,
    agents,
    auditor: deps.auditor,
    logger: logger.child({ part: 'reconciler' }),
  });
  const provisioning = new ProvisioningService({
    db: deps.db,
    directory: deps.directory,
    hosts,
    instances,
    operations,
    currency: config.currency,
    secrets,
  });
  const monitor = new HostMonitor(hosts, {
    offlineAfterMs: config.offlineAfterSeconds * 1000,
    logger,
    auditor: deps.auditor,
  });

  const instanceConsole = new InstanceConsole({
    tickets: new ConsoleTicketStore(deps.db),
    instances,
    hosts,
    agents,
    ticketTtlMs: config.consoleTicketSeconds * 1000,
  });
  const consoleSessions = new ConsoleSessions();

  let embedded: EmbeddedHosts | undefined;

  return {
    config,
    logger,
    hosts,
    enrolment,
    instances,
    events,
    actions,
    reconciler,
    operations,
    provisioning,
    runner,
    pki,
    power,
    instanceConsole,
    consoleSessions,
    /** Schedules background work, resumes unfinished operations and starts embedded hosts. */
    async start() {
      await deps.scheduler.scheduleTask({
        id: 'appliances-host-heartbeats',
        scope: 'global',
        frequency: {
          seconds: Math.max(5, Math.floor(config.offlineAfterSeconds / 3)),
        },
        timeout: { minutes: 1 },
        fn: async () => {
          await monitor.markMissedHeartbeats();
        },
      });
      // Operations whose runner died (a restart, another replica gone) are
      // resumed or rolled back; their leases lapse first.
      await deps.scheduler.scheduleTask({
        id: 'appliances-operations-resume',
        scope: 'global',
        frequency: { seconds: 15 },
        timeout: { minutes: 5 },
        initialDelay: { seconds: 1 },
        fn: async () => {
          const resumed = await runner.resumeOrphaned();
          if (resumed.length)
            logger.info(`Resuming ${resumed.length} unfinished operation(s)`);
        },
      });
      // Actions whose process died mid-call (a restart) stop renewing their
      // lease; they are settled from the agents' truth within seconds.
      await deps.scheduler.scheduleTask({
        id: 'appliances-instances-settle-interrupted',
        scope: 'global',
        frequency: { seconds: 5 },
        timeout: { minutes: 2 },
        fn: async () => {
          const { settled } = await interrupted.settleAll();
          if (settled)
            logger.info(`Settled ${settled} interrupted instance action(s)`);
        },
      });
      // Drift between recorded states and what the agents report (a guest
      // that died, an action whose process stopped mid-call).
      await deps.scheduler.scheduleTask({
        id: 'appliances-instances-reconcile',
        scope: 'global',
        frequency: { seconds: config.reconcileIntervalSeconds },
        timeout: { minutes: 5 },
        initialDelay: { seconds: 5 },
        fn: async () => {
          await reconciler.reconcileAll();
        },
      });
      await power.schedule(deps.scheduler);
      if (config.embeddedHosts) {
        embedded = new EmbeddedHosts({
          bmc: power.driver instanceof SimulatedBmc ? power.driver : undefined,
          ...config.embeddedHosts,
          dataDir: config.dataDir,
          owner: 'group:default/tempest-providers',
          heartbeatUrl: `${await deps.discovery.getBaseUrl('appliances')}/agent/heartbeat`,
          heartbeatIntervalSeconds: config.heartbeatIntervalSeconds,
          hosts,
          enrolment,
          logger,
        });
        await embedded.start();
      }
    },
    async stop() {
      consoleSessions.closeAll('The backend is stopping');
      runner.stop();
      actions.stop();
      pacer.stop();
      await embedded?.stop();
      agents.close();
    },
  };
}
