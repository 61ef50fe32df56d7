import {
  TestDatabaseId,
  TestDatabases,
  mockServices,
} from '@backstage/backend-test-utils';
import { randomUUID } from 'node:crypto';
import {
  provisionTestStores,
  testPricing,
} from '../../__testUtils__/provisionTestBed';
import { HostPower } from '../HostPower';
import {
  ConsolidationPolicy,
  DrainDeps,
  PowerConsolidator,
} from '../PowerConsolidator';
import { PowerLoop } from '../PowerLoop';
import { PowerReconciler } from '../PowerReconciler';
import { PowerStore } from '../PowerStore';
import { SimulatedBmc } from '../SimulatedBmc';

export const MINUTE = 60_000;
/** The loop tests' policy: grace 10 min, reserve 20 cores, lower band 8 (hosts of 16 cores). */
export const loopPolicy: ConsolidationPolicy = {
  graceMs: 10 * MINUTE,
  reserve: { cpuCores: 20, memoryMb: 0 },
  lowerBand: { cpuCores: 8, memoryMb: 0 },
};
const policy = loopPolicy;

/** A power loop over a simulated BMC and a test database, with a fake clock (`at`) and 16-core hosts. */
export async function powerLoopBed(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
  options: { consolidate?: boolean; drains?: DrainDeps } = {},
) {
  const { db, hosts, instances } = await provisionTestStores(
    databases,
    databaseId,
  );
  const bmc = new SimulatedBmc({ timeoutMs: 50 });
  const store = new PowerStore(db);
  const logger = mockServices.logger.mock();
  const auditor = mockServices.auditor.mock();
  const power = new HostPower({
    hosts,
    store,
    driver: bmc,
    instances,
    stopInstance: async () => {
      throw new Error('no instances here');
    },
    softOffTimeoutMs: 0,
    logger,
  });
  const reconciler = new PowerReconciler({
    hosts,
    store,
    driver: bmc,
    logger,
    auditor,
    settleMs: 1000,
    bootGraceMs: 5 * MINUTE,
  });
  const loop = new PowerLoop({
    reconciler,
    consolidator:
      options.consolidate === false
        ? undefined
        : new PowerConsolidator({
            hosts,
            store,
            power,
            policy,
            logger,
            auditor,
            drains: options.drains,
          }),
    store,
    readingsRetentionHours: 2,
    decisionsRetentionDays: 30,
    logger,
  });
  const t0 = Date.now() + 60 * MINUTE;
  const at = (minutes: number) => new Date(t0 + minutes * MINUTE);

  async function addHost(
    name: string,
    state: 'online' | 'offline' | 'maintenance' = 'online',
  ) {
    const host = await hosts.create(
      {
        name,
        owner: 'user:default/provider',
        cpuModel: 'Sim',
        coreSpeedMhz: 2000,
        cpuCores: 16,
        memoryMb: 65536,
        storageMb: 1_000_000,
        pricing: testPricing,
        agentUrl: 'https://127.0.0.1:1',
        bmc: { address: `${name}.bmc`, username: 'admin', password: 'pw' },
      },
      { tokenHash: randomUUID(), expiresAt: new Date(Date.now() + MINUTE) },
    );
    await db('hosts')
      .where({ id: host.id })
      .update({ state, last_heartbeat_at: at(0) });
    return { ...(await hosts.get(host.id))!, address: `${name}.bmc` };
  }
  const reload = async (id: string) => (await hosts.get(id))!;
  return { db, hosts, bmc, store, loop, at, addHost, reload };
}
