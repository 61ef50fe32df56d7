import {
  AuditorService,
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { Knex } from 'knex';
import { HostStore } from '../hosts/HostStore';
import { Instance, InstanceStore } from '../instances/InstanceStore';
import { BmcDriver } from './BmcDriver';
import { HostPower } from './HostPower';
import { IpmitoolBmc } from './IpmitoolBmc';
import { PowerConsolidator } from './PowerConsolidator';
import type { DrainMove } from './planDrains';
import { DrainQueries } from './DrainQueries';
import { PowerLoop } from './PowerLoop';
import { PowerReconciler } from './PowerReconciler';
import { PowerStore } from './PowerStore';
import { readPowerConfig } from './readPowerConfig';
import { SimulatedBmc } from './SimulatedBmc';

export type Power = ReturnType<typeof createPower>;

/** The BMC driver config names, as the agent picks its hypervisor driver. */
export function createBmcDriver(
  config: ReturnType<typeof readPowerConfig>,
  /** A simulated chassis' draw above idle, by BMC address. */
  extraWatts?: (address: string) => number,
): BmcDriver {
  return config.driver === 'simulated'
    ? new SimulatedBmc({ extraWatts })
    : new IpmitoolBmc(config.ipmitool);
}

/** What a simulated host draws above idle: 12 W per reserved core. */
const SIMULATED_WATTS_PER_CORE = 12;

/** Host power: the driver, actions, the reconciler and consolidation, and their task. */
export function createPower(deps: {
  config: Config;
  db: Knex;
  hosts: HostStore;
  instances: InstanceStore;
  stopInstance(instance: Instance, actor: string): Promise<void>;
  /** Starts moving an instance (consolidation's drains). */
  migrateInstance?(move: DrainMove): Promise<void>;
  /** A host is offline after this long without a heartbeat. */
  offlineAfterMs: number;
  logger: LoggerService;
  auditor: AuditorService;
  /** Tests and the embedded default hand in their own driver. */
  driver?: BmcDriver;
}) {
  const config = readPowerConfig(deps.config);
  const logger = deps.logger.child({ part: 'power' });
  // Simulated chassis draw more as their hosts fill, so the chart has something to show.
  const simulatedLoad = new Map<string, number>();
  const driver =
    deps.driver ??
    createBmcDriver(config, address => simulatedLoad.get(address) ?? 0);
  const refreshSimulatedLoad = async () => {
    if (!(driver instanceof SimulatedBmc)) return;
    for (const host of await deps.hosts.list())
      if (host.bmc)
        simulatedLoad.set(
          host.bmc.address,
          host.used.cpuCores * SIMULATED_WATTS_PER_CORE,
        );
  };
  const store = new PowerStore(deps.db);
  const power = new HostPower({
    hosts: deps.hosts,
    store,
    driver,
    instances: deps.instances,
    stopInstance: deps.stopInstance,
    softOffTimeoutMs: config.softOffTimeoutMs,
    logger,
  });
  const reconciler = new PowerReconciler({
    hosts: deps.hosts,
    store,
    driver,
    logger,
    auditor: deps.auditor,
    settleMs: config.softOffTimeoutMs + 5_000,
    bootGraceMs: config.powerOnTimeoutMs + deps.offlineAfterMs,
  });
  const consolidator = config.consolidation
    ? new PowerConsolidator({
        hosts: deps.hosts,
        store,
        power,
        policy: config.consolidation,
        logger,
        auditor: deps.auditor,
        ...(config.drains && deps.migrateInstance
          ? {
              drains: {
                instances: new DrainQueries(deps.db),
                limits: config.drains,
                migrate: deps.migrateInstance,
              },
            }
          : {}),
      })
    : undefined;
  const loop = new PowerLoop({
    reconciler,
    consolidator,
    store,
    readingsRetentionHours: config.readingsRetentionHours,
    decisionsRetentionDays: config.decisionsRetentionDays,
    logger,
  });
  return {
    config,
    driver,
    store,
    power,
    reconciler,
    consolidator,
    loop,
    async schedule(scheduler: SchedulerService) {
      await scheduler.scheduleTask({
        id: 'appliances-host-power',
        scope: 'global',
        frequency: { seconds: config.intervalSeconds },
        timeout: { minutes: 10 },
        initialDelay: { seconds: 3 },
        fn: async () => {
          await refreshSimulatedLoad();
          await loop.tick();
        },
      });
    },
  };
}
