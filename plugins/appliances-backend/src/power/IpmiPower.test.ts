import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { describeWithTools } from '@tempest/provider-agent/testing';
import fs from 'node:fs';
import path from 'node:path';
import { AgentConnector } from '../hosts/AgentConnector';
import { sha256Hex } from '../hosts/BackendPki';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import {
  createOnlineTestHost,
  insertProvisionRequest,
  provisionTestStores,
  useProvisionTestAgent,
} from '../__testUtils__/provisionTestBed';
import { HostPower } from './HostPower';
import { IpmitoolBmc } from './IpmitoolBmc';
import { PowerReconciler } from './PowerReconciler';
import { PowerStore } from './PowerStore';
import { IpmiSimHarness } from './__testUtils__/IpmiSimHarness';

jest.setTimeout(180_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

/**
 * Power over real IPMI: ipmitool against ipmi_sim BMCs, a real agent, and
 * provisioning that powers a host on and waits for its heartbeat; the
 * reconciler against a BMC changed behind its back and one that hangs.
 */
describeWithTools(['ipmi_sim', 'ipmitool'], 'host power over ipmi_sim', () => {
  const env = useProvisionTestAgent({ os: 64 * 1024, appliance: 64 * 1024 });
  let sim: IpmiSimHarness;
  const watchers: NodeJS.Timeout[] = [];
  beforeAll(async () => {
    sim = await IpmiSimHarness.start(2);
  });
  afterAll(async () => {
    watchers.forEach(clearInterval);
    await sim?.stop();
  });

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    it('powers an off host on over IPMI for a placement, waits for its agent, and reconciles drift and hangs', async () => {
      const { db, hosts, instances, operations } = await provisionTestStores(
        databases,
        databaseId,
      );
      const driver = new IpmitoolBmc({ timeoutMs: 3_000 });
      const store = new PowerStore(db);
      const logger = mockServices.logger.mock();
      const power = new HostPower({
        hosts,
        store,
        driver,
        instances,
        stopInstance: async () => {},
        softOffTimeoutMs: 2_000,
        logger,
      });
      const reconciler = new PowerReconciler({
        hosts,
        store,
        driver,
        logger,
        auditor: mockServices.auditor.mock(),
        settleMs: 0,
        bootGraceMs: 60_000,
      });
      const runner = new ProvisionRunner({
        db,
        hosts,
        instances,
        operations,
        events: new InstanceEventStore(db),
        appliances: { get: async () => ({ id: 'sample.webserv.2.0' }) as any },
        layers: { layersFor: async () => env.layers },
        agents: new AgentConnector({
          ca: env.agent.pki.ca,
          client: env.agent.pki.client,
        }),
        logger,
        auditor: mockServices.auditor.mock(),
        pollMs: 50,
        power,
        powerOnTimeoutMs: 30_000,
      });

      // The host the test agent serves, its BMC one of the ipmi_sim chassis.
      const host = await createOnlineTestHost(db, hosts, env.agent);
      const chassis = sim.chassis[databaseId === 'SQLITE_3' ? 0 : 1];
      await hosts.setBmc(host.id, chassis.target);
      const token = `token-${host.id}`;
      await db('hosts')
        .where({ id: host.id })
        .update({ agent_token_hash: sha256Hex(token) });
      // The agent heartbeats while its chassis has power, as a real host's would.
      const powerFile = path.join(chassis.dir, 'power');
      watchers.push(
        setInterval(() => {
          if (fs.readFileSync(powerFile, 'utf8').trim() === '1')
            void hosts.recordHeartbeat(sha256Hex(token), { info: {} });
        }, 300),
      );

      // Powered off through the API's path: soft first, the chassis goes off.
      const off = await power.act(host.id, 'off', {
        actor: 'user:default/provider',
        reason: 'test',
      });
      expect(off.power.state).toBe('off');
      expect(await sim.power(chassis === sim.chassis[0] ? 0 : 1)).toBe('off');
      const index = chassis === sim.chassis[0] ? 0 : 1;
      expect(await sim.calls(index)).toContain('set shutdown 1');
      await db('hosts').where({ id: host.id }).update({ state: 'offline' });

      // No powered-on host fits: provisioning powers it on over IPMI and waits for the heartbeat.
      const { instanceId, operationId } = await insertProvisionRequest(
        db,
        { operations, instances },
        `web-ipmi-${databaseId.toLowerCase().replace(/_/g, '-')}`,
      );
      await runner.kick(operationId);
      const op = (await operations.get(operationId))!;
      expect(op.state).toBe('succeeded');
      expect(op.steps.find(s => s.name === 'power-on')).toMatchObject({
        state: 'done',
        detail: { hostName: host.name, poweredOn: true },
      });
      expect(await sim.power(index)).toBe('on');
      expect((await instances.get(instanceId))!.state).toBe('started');

      // Someone switches it off at the rack: the next reconcile records it.
      await sim.pressButton(index, 'off');
      await reconciler.reconcileAll();
      expect((await hosts.get(host.id))!.power.state).toBe('off');
      await sim.pressButton(index, 'on');
      await reconciler.reconcileAll();
      expect((await hosts.get(host.id))!.power).toMatchObject({
        state: 'on',
        watts: 200,
      });

      // A BMC that hangs leaves power unknown, never off.
      sim.freeze(index);
      try {
        await reconciler.reconcileAll();
      } finally {
        sim.thaw(index);
      }
      expect((await hosts.get(host.id))!.power).toMatchObject({
        state: 'unknown',
        bmcFault: expect.stringMatching(/did not answer within 3000 ms/),
      });
      expect((await hosts.get(host.id))!.poweredOn).toBe(true);
      const actions = (await store.decisions({ hostIds: [host.id] })).map(
        d => `${d.actor} ${d.action}`,
      );
      expect(actions).toEqual([
        'power-loop fault',
        'power-loop drift',
        'power-loop drift',
        'provisioning on',
        'user:default/provider off',
      ]);
    });
  });
});
