import fs from 'node:fs/promises';
import path from 'node:path';
import { TestAgent } from '../testing/startTestAgent';
import { startAgentWithImages } from './__testUtils__/startAgentWithImages';

describe('NICs and volumes of domains and disks (simulated driver)', () => {
  let t: TestAgent;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await startAgentWithImages());
  });
  afterAll(() => close());

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
        path.join(t.config.dataDir, 'simulated/domains/vol-1.json'),
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
});
