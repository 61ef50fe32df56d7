import fs from 'node:fs/promises';
import path from 'node:path';
import { emptyQcow2 } from '../disks/qcow2';
import { startChannel, waitFor } from '../testing/channelFixture';
import { startTestAgent, TestAgent } from '../testing/startTestAgent';

describe('disks, domains and stats API (simulated driver)', () => {
  let t: TestAgent;
  let channel: Awaited<ReturnType<typeof startChannel>>;

  const install = async (
    kind: 'os' | 'appliance' | 'boot',
    name: string,
    body: any,
  ) => {
    const res = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind, name } },
      body,
    });
    const id = (res.data as any).id;
    return waitFor(
      async () =>
        (await t.client.GET('/v1/downloads/{id}', { params: { path: { id } } }))
          .data!,
      d => d.state === 'done' || d.state === 'failed',
    );
  };

  beforeAll(async () => {
    channel = await startChannel();
    t = await startTestAgent();
    await install(
      'os',
      'debian',
      await channel.publish('/os.qcow2', emptyQcow2(1024 ** 3)),
    );
    await install(
      'appliance',
      'mail',
      await channel.publish('/mail.qcow2', emptyQcow2(2 * 1024 ** 3), {
        os: 'debian',
      }),
    );
    await install(
      'boot',
      'vmlinuz',
      await channel.publish('/vmlinuz', Buffer.from('kernel')),
    );
  });
  afterAll(async () => {
    await t.close();
    await channel.close();
  });

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

  it('attaches NICs with their MACs on the networks the host offers and reports the addresses they hold', async () => {
    const info = await t.client.GET('/v1/info');
    expect(info.data!.networks).toEqual([{ name: 'default', mode: 'nat' }]);
    for (const disk of ['net-1', 'net-2']) {
      await t.client.POST('/v1/disks', {
        body: { name: disk, appliance: 'mail', seed: { hostname: disk } },
      });
    }
    const net1 = { params: { path: { name: 'net-1' } } };
    const mac = '02:7e:00:00:01:01';
    const unknown = await t.client.PUT('/v1/domains/{name}', {
      ...net1,
      body: {
        vcpus: 1,
        memoryMiB: 64,
        disk: 'net-1',
        nics: [{ network: 'lan', mac }],
      },
    });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toMatchObject({
      error: {
        code: 'UNKNOWN_NETWORK',
        message: 'This host offers no network lan; it offers default',
      },
    });
    const defined = await t.client.PUT('/v1/domains/{name}', {
      ...net1,
      body: {
        vcpus: 1,
        memoryMiB: 64,
        disk: 'net-1',
        nics: [{ network: 'default', mac }],
      },
    });
    expect(defined.data!.interfaces).toEqual([
      { network: 'default', mac, addresses: [] },
    ]);
    const taken = await t.client.PUT('/v1/domains/{name}', {
      params: { path: { name: 'net-2' } },
      body: {
        vcpus: 1,
        memoryMiB: 64,
        disk: 'net-2',
        nics: [{ network: 'default', mac }],
      },
    });
    expect(taken.response.status).toBe(409);
    expect(taken.error).toMatchObject({ error: { code: 'MAC_IN_USE' } });
    const upper = await t.client.PUT('/v1/domains/{name}', {
      params: { path: { name: 'net-2' } },
      body: {
        vcpus: 1,
        memoryMiB: 64,
        disk: 'net-2',
        nics: [{ network: 'default', mac: '03:7E:00:00:00:01' }],
      },
    });
    expect(upper.response.status).toBe(400);

    await t.client.POST('/v1/domains/{name}/start', net1);
    const running = await t.client.GET('/v1/domains/{name}', net1);
    expect(running.data!.interfaces).toEqual([
      { network: 'default', mac, addresses: ['10.77.0.2'] },
    ]);
    const listed = await t.client.GET('/v1/domains');
    expect(
      listed.data!.items.find(d => d.name === 'net-1')!.interfaces,
    ).toEqual(running.data!.interfaces);
    await t.client.POST('/v1/domains/{name}/destroy', net1);
    expect(
      (await t.client.GET('/v1/domains/{name}', net1)).data!.interfaces,
    ).toEqual([{ network: 'default', mac, addresses: [] }]);
    await t.client.DELETE('/v1/domains/{name}', net1);
    for (const disk of ['net-1', 'net-2'])
      await t.client.DELETE('/v1/disks/{name}', {
        params: { path: { name: disk } },
      });
  });

  it('adds swap and user volumes to a disk, attaches them after the seed by serial, and removes them with it', async () => {
    await t.client.POST('/v1/disks', {
      body: { name: 'vol-1', appliance: 'mail', seed: {} },
    });
    const disk = { path: { name: 'vol-1' } };
    const put = (volume: string, body: any) =>
      t.client.PUT('/v1/disks/{name}/volumes/{volume}', {
        params: { path: { name: 'vol-1', volume } },
        body,
      });
    const swap = await put('swap', { role: 'swap', sizeMiB: 128 });
    expect(swap.response.status).toBe(201);
    expect(swap.data).toEqual({
      name: 'swap',
      role: 'swap',
      sizeMiB: 128,
      serial: 'tempest-swap',
      path: path.join(t.config.dataDir, 'disks/vol-1/volume-swap.qcow2'),
    });
    expect(
      (await put('user', { role: 'user', sizeMiB: 64 })).response.status,
    ).toBe(201);
    // The same volume again is answered as it is; another size under its name is refused.
    expect(
      (await put('swap', { role: 'swap', sizeMiB: 128 })).response.status,
    ).toBe(200);
    expect(
      (await put('swap', { role: 'swap', sizeMiB: 256 })).error,
    ).toMatchObject({
      error: { code: 'DISK_EXISTS' },
    });
    expect((await put('x', { role: 'boot', sizeMiB: 1 })).response.status).toBe(
      400,
    );
    const layers = await t.agent.services.diskStore.chain(swap.data!.path);
    expect(layers).toEqual([
      expect.objectContaining({ virtualSizeBytes: 128 * 1024 ** 2 }),
    ]);
    const read = await t.client.GET('/v1/disks/{name}', { params: disk });
    expect(read.data!.volumes!.map(v => [v.name, v.role, v.sizeMiB])).toEqual([
      ['swap', 'swap', 128],
      ['user', 'user', 64],
    ]);

    const defined = await t.client.PUT('/v1/domains/{name}', {
      params: disk,
      body: { vcpus: 1, memoryMiB: 128, disk: 'vol-1' },
    });
    expect(defined.response.status).toBe(201);
    const state = JSON.parse(
      await fs.readFile(
        path.join(t.config.dataDir, 'simulated/hypervisor.json'),
        'utf8',
      ),
    );
    const [vol] = JSON.stringify(state).match(/"name":"vol-1"[^\]]*\]/)!;
    expect(vol.match(/"target":"vd[a-z]"[^}]*/g)).toEqual([
      '"target":"vda"',
      '"target":"vdb","readOnly":true',
      '"target":"vdc","serial":"tempest-swap"',
      '"target":"vdd","serial":"tempest-user"',
    ]);
    // No volume joins a disk whose domain is defined: the domain would not see it.
    expect(
      (await put('data', { role: 'data', sizeMiB: 8 })).error,
    ).toMatchObject({
      error: { code: 'DISK_IN_USE' },
    });
    await t.client.DELETE('/v1/domains/{name}', { params: disk });
    expect(
      (await t.client.DELETE('/v1/disks/{name}', { params: disk })).response
        .status,
    ).toBe(204);
    await expect(fs.stat(swap.data!.path)).rejects.toThrow();
    expect(
      await t.agent.services.diskStore
        .chain(swap.data!.path)
        .catch(e => e.code),
    ).toBe('UNKNOWN_DISK');
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

describe('graceful stop', () => {
  it('cancels running downloads and removes their partial files', async () => {
    const channel = await startChannel();
    const t = await startTestAgent();
    const body = await channel.publish(
      '/big.qcow2',
      emptyQcow2(1024 ** 4), // a real qcow2 of about 4 MiB
      { bytesPerSecond: 256 * 1024 },
    );
    const res = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'big' } },
      body,
    });
    const id = (res.data as any).id;
    await waitFor(
      async () =>
        (await t.client.GET('/v1/downloads/{id}', { params: { path: { id } } }))
          .data!.receivedBytes,
      n => n > 0,
    );
    await t.agent.stop();
    expect(t.agent.services.images.download(id).state).toBe('cancelled');
    expect(
      await fs.readdir(path.join(t.config.dataDir, 'images/.partial')),
    ).toEqual([]);
    await t.close();
    await channel.close();
  });
});
