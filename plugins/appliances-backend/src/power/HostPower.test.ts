import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { AgentConnector } from '../hosts/AgentConnector';
import { HostStore } from '../hosts/HostStore';
import { InstanceActions } from '../instances/InstanceActions';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { ProvisionRunner } from '../operations/ProvisionRunner';
import { diskNameOf } from '../operations/diskNameOf';
import {
  createOnlineTestHost,
  insertProvisionRequest,
  provisionTestStores,
  testSize,
  useProvisionTestAgent,
} from '../__testUtils__/provisionTestBed';
import { HostPower } from './HostPower';
import { PowerStore } from './PowerStore';
import { SimulatedBmc } from './SimulatedBmc';

jest.setTimeout(120_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('host power on %s', databaseId => {
  const env = useProvisionTestAgent({ os: 64 * 1024, appliance: 64 * 1024 });

  async function setup(options: { powerOnTimeoutMs?: number } = {}) {
    const { db, hosts, instances, operations } = await provisionTestStores(
      databases,
      databaseId,
    );
    const events = new InstanceEventStore(db);
    const connector = new AgentConnector({
      ca: env.agent.pki.ca,
      client: env.agent.pki.client,
    });
    const logger = mockServices.logger.mock();
    const bmc = new SimulatedBmc();
    const store = new PowerStore(db);
    const late: { actions?: InstanceActions } = {};
    const power = new HostPower({
      hosts,
      store,
      driver: bmc,
      instances,
      stopInstance: async (instance, actor) => {
        const fresh = (await instances.get(instance.id))!;
        await late.actions!.run(fresh, 'stop', fresh.version, actor);
      },
      softOffTimeoutMs: 200,
      logger,
    });
    const runner = new ProvisionRunner({
      db,
      hosts,
      instances,
      operations,
      events,
      appliances: { get: async () => ({ id: 'sample.webserv.2.0' }) as any },
      layers: { layersFor: async () => env.layers },
      agents: connector,
      logger,
      auditor: mockServices.auditor.mock(),
      pollMs: 20,
      power,
      powerOnTimeoutMs: options.powerOnTimeoutMs ?? 10_000,
    });
    late.actions = new InstanceActions({
      db,
      instances,
      events,
      hosts,
      operations,
      agents: connector,
      kick: id => void runner.kick(id),
      shutdownTimeoutSeconds: 1,
      logger,
    });

    /** A host with a simulated BMC; off ones are offline, as an unpowered host is. */
    async function bmcHost(
      state: 'on' | 'off',
      behaviour: { heartbeatsWhenOn?: boolean; cpuCores?: number } = {},
    ) {
      const host = await createOnlineTestHost(db, hosts, env.agent);
      const address = `${host.name}.bmc`;
      await hosts.setBmc(host.id, {
        address,
        username: 'admin',
        password: 'pw',
      });
      await db('hosts')
        .where({ id: host.id })
        .update({ cpu_cores: behaviour.cpuCores ?? 8 });
      if (state === 'off') {
        bmc.pressButton(address, 'off');
        await store.setState(host.id, 'off');
      }
      // The agent heartbeats a moment after its host comes on, unless it is broken.
      if (behaviour.heartbeatsWhenOn !== false)
        bmc.onPowerChange((a, p) => {
          if (a !== address || p !== 'on') return;
          setTimeout(() => {
            // A knex builder runs only when awaited or then'd.
            db('hosts')
              .where({ id: host.id })
              .update({ state: 'online', last_heartbeat_at: new Date() })
              .then(
                () => undefined,
                () => undefined,
              );
          }, 300);
        });
      return { ...(await hosts.get(host.id))!, address };
    }

    async function provision(hostname: string, size = testSize) {
      const { instanceId, operationId } = await insertProvisionRequest(
        db,
        { operations, instances },
        hostname,
        size,
      );
      await runner.kick(operationId);
      return {
        instance: (await instances.get(instanceId))!,
        operation: (await operations.get(operationId))!,
      };
    }
    return { db, hosts, instances, store, bmc, power, bmcHost, provision };
  }

  const full = async (hosts: HostStore, id: string) => {
    await hosts.reserve(id, { cpuCores: 8, memoryMb: 0, storageMb: 0 });
  };

  it('powers a host on for a placement when no powered-on host fits, and the operation says so', async () => {
    const { hosts, bmc, bmcHost, provision, store } = await setup();
    const on = await bmcHost('on');
    await full(hosts, on.id);
    const off = await bmcHost('off');
    expect(bmc.peek(off.address)).toBe('off');

    const { instance, operation } = await provision('web-power-on');

    expect(operation.state).toBe('succeeded');
    expect(instance.hostId).toBe(off.id);
    expect(bmc.peek(off.address)).toBe('on');
    const step = operation.steps.find(s => s.name === 'power-on')!;
    expect(step).toMatchObject({
      state: 'done',
      detail: { hostName: off.name, poweredOn: true },
    });
    expect((await hosts.get(off.id))!.power.state).toBe('on');
    expect(await store.decisions({ hostIds: [off.id] })).toEqual([
      expect.objectContaining({
        actor: 'provisioning',
        action: 'on',
        outcome: 'done',
        reason: expect.stringMatching(
          /Placement chose it for web-power-on: no powered-on host had room/,
        ),
      }),
    ]);
  });

  it('tries the next host when a powered-on one stays silent, and fails with the reason when none is left', async () => {
    const { hosts, bmcHost, provision, bmc } = await setup({
      powerOnTimeoutMs: 1_500,
    });
    const on = await bmcHost('on');
    await full(hosts, on.id);
    const silent = await bmcHost('off', { heartbeatsWhenOn: false });
    const good = await bmcHost('off');
    // The silent host is the better fit, so it is tried first.
    await hosts.reserve(silent.id, { cpuCores: 4, memoryMb: 0, storageMb: 0 });
    await hosts.release(silent.id, { cpuCores: 4, memoryMb: 0, storageMb: 0 });
    await hosts.reserve(silent.id, { cpuCores: 2, memoryMb: 0, storageMb: 0 });

    const first = await provision('web-next');
    expect(first.operation.state).toBe('succeeded');
    expect(first.instance.hostId).toBe(good.id);
    expect(bmc.peek(silent.address)).toBe('on');
    const step = first.operation.steps.find(s => s.name === 'power-on')!;
    expect(step.detail).toMatchObject({ tried: [silent.id] });
    // The silent host got its reservation back.
    expect((await hosts.get(silent.id))!.used.cpuCores).toBe(2);

    // Nothing left but another host that will not come up: the reason is given.
    await hosts.reserve(good.id, { cpuCores: 6, memoryMb: 0, storageMb: 0 });
    const broken = await bmcHost('off', { heartbeatsWhenOn: false });
    const second = await provision('web-none');
    expect(second.operation.state).toBe('failed');
    expect(second.operation.error).toMatch(
      `${broken.name} did not come up after being powered on`,
    );
    expect(second.operation.error).toMatch(`${silent.name} is offline`);
    expect(
      second.operation.steps.find(s => s.name === 'power-on')!.error,
    ).toMatch(
      `${broken.name} was powered on but its agent sent no heartbeat within 2 s`,
    );
  });

  it('refuses to power off a host with running instances unless forced, and then stops them cleanly first', async () => {
    const { hosts, instances, bmc, bmcHost, provision, power, store } =
      await setup();
    const host = await bmcHost('on');
    const { instance } = await provision('web-forced');
    expect(instance.state).toBe('started');

    const refused = power.act(host.id, 'off', {
      actor: 'user:default/provider',
      reason: 'test',
    });
    await expect(refused).rejects.toBeInstanceOf(ConflictError);
    await expect(refused).rejects.toThrow(
      /has 1 running instance: web-forced \(started\)\. To power off it anyway, use force/,
    );
    expect(bmc.peek(host.address)).toBe('on');

    const after = await power.act(host.id, 'off', {
      actor: 'user:default/provider',
      reason: 'Requested by user:default/provider (forced)',
      force: true,
    });
    expect(after.power.state).toBe('off');
    expect(bmc.peek(host.address)).toBe('off');
    const stopped = (await instances.get(instance.id))!;
    expect(stopped.state).toBe('stopped');
    // The guest was shut down through the agent before the power went.
    const domain = await new AgentConnector({
      ca: env.agent.pki.ca,
      client: env.agent.pki.client,
    })
      .forHost((await hosts.get(host.id))!)
      .GET('/v1/domains/{name}/state', {
        params: { path: { name: diskNameOf(instance.id) } },
      });
    expect(domain.data!.state).toBe('shutoff');
    expect((await store.decisions({ hostIds: [host.id] }))[0]).toMatchObject({
      action: 'off',
      outcome: 'done',
      reason: expect.stringMatching(/forced/),
    });
  });

  it('leaves power unknown and the fault recorded when the BMC fails an action', async () => {
    const { bmc, bmcHost, power, hosts } = await setup();
    const host = await bmcHost('on');
    bmc.setFault(host.address, 'failed');
    await expect(
      power.act(host.id, 'cycle', { actor: 'user:default/a', reason: 'test' }),
    ).rejects.toThrow(/did not power-cycle it/);
    expect((await hosts.get(host.id))!.power).toMatchObject({
      state: 'unknown',
      bmcFault: expect.stringMatching(/simulated failure/),
    });
  });
});
