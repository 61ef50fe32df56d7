import fs from 'node:fs/promises';
import path from 'node:path';
import { TestAgent } from '../testing/startTestAgent';
import { startAgentWithImages } from './__testUtils__/startAgentWithImages';

describe('disks, domains and stats API (simulated driver)', () => {
  let t: TestAgent;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await startAgentWithImages());
  });
  afterAll(() => close());

  it('creates an instance disk as OS → appliance → deployment → instance with a seed', async () => {
    const created = await t.client.POST('/v1/disks', {
      body: {
        name: 'mail-1',
        appliance: 'mail',
        deployment: 'acme',
        sizeGiB: 8,
        seed: {
          domain: 'acme.example',
          sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nza alice'],
          variables: { RELAY: 'smtp.acme' },
        },
      },
    });
    expect(created.response.status).toBe(201);
    const data = t.config.dataDir;
    expect(created.data!.chain).toEqual([
      path.join(data, 'disks/mail-1/disk.qcow2'),
      path.join(data, 'deployments/mail/1.0.0/acme.qcow2'),
      path.join(data, 'images/appliance/mail/1.0.0.qcow2'),
      path.join(data, 'images/os/debian/1.0.0.qcow2'),
    ]);
    expect(created.data!.seed).toMatchObject({
      hostname: 'mail-1',
      domain: 'acme.example',
      instanceId: 'mail-1',
    });
    expect(
      await t.agent.services.seedBuilder.read(created.data!.seedPath!),
    ).toMatchObject({
      hostname: 'mail-1',
      variables: { RELAY: 'smtp.acme' },
    });

    const again = await t.client.POST('/v1/disks', {
      body: { name: 'mail-1', appliance: 'mail' },
    });
    expect(again.error).toMatchObject({ error: { code: 'DISK_EXISTS' } });
    const unknown = await t.client.POST('/v1/disks', {
      body: { name: 'x-1', appliance: 'nope' },
    });
    expect(unknown.error).toMatchObject({ error: { code: 'UNKNOWN_IMAGE' } });
    await expect(fs.stat(path.join(data, 'disks/x-1'))).rejects.toThrow();
    const badName = await t.client.POST('/v1/disks', {
      body: { name: 'x/../../y', appliance: 'mail' },
    });
    expect(badName.error).toMatchObject({ error: { code: 'INVALID_NAME' } });
  });

  it('runs a domain through its lifecycle, with state, uptime, stats and wrong-state errors', async () => {
    const name = { params: { path: { name: 'mail-1' } } };
    const defined = await t.client.PUT('/v1/domains/{name}', {
      ...name,
      body: {
        vcpus: 2,
        memoryMiB: 512,
        disk: 'mail-1',
        kernel: { kernel: 'vmlinuz', cmdline: 'console=ttyS0' },
      },
    });
    expect(defined.response.status).toBe(201);
    expect(defined.data).toMatchObject({
      state: 'shutoff',
      uptimeSeconds: null,
    });

    const diskBusy = await t.client.DELETE('/v1/disks/{name}', name);
    expect(diskBusy.error).toMatchObject({ error: { code: 'DISK_IN_USE' } });

    expect(
      (await t.client.POST('/v1/domains/{name}/start', name)).data,
    ).toMatchObject({ state: 'running', uptimeSeconds: 0 });
    const twice = await t.client.POST('/v1/domains/{name}/start', name);
    expect(twice.response.status).toBe(409);
    expect(twice.error).toMatchObject({
      error: { code: 'DOMAIN_STATE_CONFLICT' },
    });

    await t.client.PUT('/v1/domains/{name}/simulated-load', {
      ...name,
      body: { load: 0.9 },
    });
    await t.client.GET('/v1/stats');
    await new Promise(r => setTimeout(r, 300));
    const stats = await t.client.GET('/v1/stats');
    const cpu = stats.data!.domains.find(d => d.name === 'mail-1')!.cpuPercent;
    expect(cpu).toBeGreaterThan(80);
    expect(cpu).toBeLessThanOrEqual(100);
    expect(stats.data!.host.cpuPercent).toBeGreaterThan(0);

    expect(
      (await t.client.POST('/v1/domains/{name}/suspend', name)).data!.state,
    ).toBe('paused');
    expect(
      (await t.client.POST('/v1/domains/{name}/resume', name)).data!.state,
    ).toBe('running');
    const state = await t.client.GET('/v1/domains/{name}/state', name);
    expect(state.data).toMatchObject({ name: 'mail-1', state: 'running' });
    expect(state.data!.uptimeSeconds).toBeGreaterThanOrEqual(0);

    const busy = await t.client.DELETE('/v1/domains/{name}', name);
    expect(busy.error).toMatchObject({
      error: { code: 'DOMAIN_STATE_CONFLICT' },
    });
    const stopped = await t.client.POST('/v1/domains/{name}/shutdown', {
      ...name,
      body: { timeoutSeconds: 5 },
    });
    expect(stopped.data).toMatchObject({
      state: 'shutoff',
      forced: false,
      uptimeSeconds: null,
    });
  });

  it('keeps images, disks and domains across a restart', async () => {
    const before = (await t.client.GET('/v1/domains')).data!.items.map(d => [
      d.name,
      d.state,
    ]);
    await t.client.POST('/v1/domains/{name}/start', {
      params: { path: { name: 'mail-1' } },
    });
    await t.restart();
    expect(
      (await t.client.GET('/v1/images')).data!.items.map(
        i => `${i.kind}/${i.name}`,
      ),
    ).toEqual(['os/debian', 'appliance/mail', 'boot/vmlinuz']);
    expect(
      (await t.client.GET('/v1/disks')).data!.items.map(d => d.name),
    ).toEqual(['mail-1']);
    expect(before).toEqual([['mail-1', 'shutoff']]);
    expect(
      (
        await t.client.GET('/v1/domains/{name}/state', {
          params: { path: { name: 'mail-1' } },
        })
      ).data,
    ).toMatchObject({
      state: 'running',
    });
    await t.client.POST('/v1/domains/{name}/destroy', {
      params: { path: { name: 'mail-1' } },
    });
  });

  it('answers unknown domains and disks with stable codes', async () => {
    const ghost = { params: { path: { name: 'ghost' } } };
    for (const res of [
      await t.client.GET('/v1/domains/{name}', ghost),
      await t.client.POST('/v1/domains/{name}/start', ghost),
      await t.client.GET('/v1/domains/{name}/console', ghost),
    ]) {
      expect(res.response.status).toBe(404);
      expect(res.error).toMatchObject({ error: { code: 'UNKNOWN_DOMAIN' } });
    }
    const noDisk = await t.client.PUT('/v1/domains/{name}', {
      ...ghost,
      body: { vcpus: 1, memoryMiB: 64, disk: 'ghost' },
    });
    expect(noDisk.error).toMatchObject({ error: { code: 'UNKNOWN_DISK' } });
    expect((await t.client.GET('/v1/disks/{name}', ghost)).error).toMatchObject(
      { error: { code: 'UNKNOWN_DISK' } },
    );
    const bad = await t.client.PUT('/v1/domains/{name}', {
      ...ghost,
      body: { vcpus: 0, memoryMiB: 64, disk: 'ghost' },
    });
    expect(bad.error).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
  });

  it('undefines the domain, then removes the disk and its now unused deployment layer', async () => {
    const name = { params: { path: { name: 'mail-1' } } };
    expect(
      (await t.client.DELETE('/v1/domains/{name}', name)).response.status,
    ).toBe(204);
    expect(
      (await t.client.DELETE('/v1/disks/{name}', name)).response.status,
    ).toBe(204);
    await expect(
      fs.stat(path.join(t.config.dataDir, 'deployments/mail/1.0.0/acme.qcow2')),
    ).rejects.toThrow();
    const info = await t.client.GET('/v1/info');
    expect(info.data).toMatchObject({
      driver: 'simulated',
      diskStore: 'simulated',
      cpu: { count: 16 },
    });
    expect(info.data!.disk.usedByAgentBytes).toBeGreaterThan(0);
  });
});
