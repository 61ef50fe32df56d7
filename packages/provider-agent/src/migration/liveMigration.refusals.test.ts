import path from 'node:path';
import {
  CertificateAuthority,
  createCertificateAuthority,
} from '../pki/createCertificateAuthority';
import { startChannel } from '../testing/channelFixture';
import { describeWithTools } from '../testing/describeWithTools';
import {
  Channel,
  expectDomain,
  filesUnder,
  Host,
  installLayers,
  migrate,
  moveDiskLive,
  openStream,
  startHost,
} from './__testUtils__/liveHosts';

jest.setTimeout(120_000);

describeWithTools(['rsync'], 'live migration refusals (simulated)', () => {
  let ca: CertificateAuthority;
  let channel: Channel;
  let a: Host;
  let b: Host;

  beforeAll(async () => {
    ca = await createCertificateAuthority();
    channel = await startChannel();
    a = await startHost(ca, 'host-a');
    b = await startHost(ca, 'host-b');
    for (const host of [a, b]) await installLayers(host.t, channel);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await channel?.close();
  });

  it('opens the streams to the incoming migration peer certificate only', async () => {
    const spec = { vcpus: 1, memoryMiB: 64, disk: 'solo' };
    await a.t.client.POST('/v1/disks', {
      body: { name: 'solo', appliance: 'mail' },
    });
    await moveDiskLive(a, b, 'solo');
    const incoming = (await expectDomain(b, a, 'solo', spec)).data!;
    const base = `${b.t.agent.url}/v1/domains/solo/incoming/${incoming.id}`;
    const c = await startHost(ca, 'host-c');
    try {
      // Another agent of the same CA may neither read it nor open a stream.
      const asC = c.asPeer(b.t.agent.url);
      const read = await asC.GET('/v1/domains/{name}/incoming/{id}', {
        params: { path: { name: 'solo', id: incoming.id } },
      });
      asC.close();
      expect(read.response.status).toBe(403);
      expect(read.error!.error.message).toMatch(/is for host host-a only/);
      const byC = await openStream(`${base}/streams/memory`, {
        ca: c.t.pki.ca.cert,
        cert: c.t.pki.server.cert,
        key: c.t.pki.server.key,
      });
      expect(byC.status).toBe(403);
      expect(JSON.parse(byC.body).error.message).toMatch(
        /is for host host-a only/,
      );
    } finally {
      await c.close();
    }
    // Nor may the backend's certificate: the streams are the peer's alone.
    const byBackend = await openStream(`${base}/streams/disks`, {
      ca: b.t.pki.ca.cert,
      cert: b.t.pki.client.cert,
      key: b.t.pki.client.key,
    });
    expect(byBackend.status).toBe(403);
    const plain = await b.t.client.GET(
      '/v1/domains/{name}/incoming/{id}/streams/{channel}',
      {
        params: {
          path: { name: 'solo', id: incoming.id, channel: 'memory' },
        },
      },
    );
    expect(plain.response.status).toBe(400);
    // The peer reads it (what its hypervisor defines here) and opens its streams.
    const asA = a.asPeer(b.t.agent.url);
    const byA = await asA.GET('/v1/domains/{name}/incoming/{id}', {
      params: { path: { name: 'solo', id: incoming.id } },
    });
    const listByA = await asA.GET('/v1/domains');
    asA.close();
    expect(byA.data).toMatchObject({
      state: 'waiting',
      target: { vcpus: 1 },
    });
    expect(listByA.response.status).toBe(403);
    const peerStream = await openStream(`${base}/streams/memory`, {
      ca: a.t.pki.ca.cert,
      cert: a.t.pki.server.cert,
      key: a.t.pki.server.key,
    });
    expect(peerStream.status).toBe(101);
    // No hypervisor RPC socket on the simulated driver.
    const rpc = await openStream(`${base}/streams/hypervisor`, {
      ca: a.t.pki.ca.cert,
      cert: a.t.pki.server.cert,
      key: a.t.pki.server.key,
    });
    expect(rpc.status).toBe(409);
    const abandoned = await b.t.client.DELETE(
      '/v1/domains/{name}/incoming/{id}',
      { params: { path: { name: 'solo', id: incoming.id } } },
    );
    expect(abandoned.response.status).toBe(204);
  });

  it('refuses a domain that is not running, an unknown disk and a taken name', async () => {
    await a.t.client.POST('/v1/disks', {
      body: { name: 'idle', appliance: 'mail' },
    });
    await a.t.client.PUT('/v1/domains/{name}', {
      params: { path: { name: 'idle' } },
      body: { vcpus: 1, memoryMiB: 64, disk: 'idle' },
    });
    const off = await migrate(
      a,
      b,
      'idle',
      '00000000-0000-4000-8000-000000000000',
    );
    expect(off.response.status).toBe(409);
    expect(off.error).toMatchObject({
      error: { code: 'DOMAIN_NOT_RUNNING' },
    });

    const noDisk = await expectDomain(b, a, 'ghost', {
      vcpus: 1,
      memoryMiB: 64,
      disk: 'ghost',
    });
    expect(noDisk.response.status).toBe(404);
    expect(noDisk.error).toMatchObject({ error: { code: 'UNKNOWN_DISK' } });

    await b.t.client.POST('/v1/disks', {
      body: { name: 'taken', appliance: 'mail' },
    });
    await b.t.client.PUT('/v1/domains/{name}', {
      params: { path: { name: 'taken' } },
      body: { vcpus: 1, memoryMiB: 64, disk: 'taken' },
    });
    const taken = await expectDomain(b, a, 'taken', {
      vcpus: 1,
      memoryMiB: 64,
      disk: 'taken',
    });
    expect(taken.response.status).toBe(409);
    expect(taken.error).toMatchObject({ error: { code: 'DOMAIN_EXISTS' } });
    expect(
      await filesUnder(path.join(b.t.config.dataDir, 'migration')),
    ).toEqual([]);
  });

  it('refuses carried addresses that are not IP addresses or belong to no NIC of the domain, and keeps nothing', async () => {
    await b.t.client.POST('/v1/disks', {
      body: { name: 'carrier', appliance: 'mail' },
    });
    const spec = {
      vcpus: 1,
      memoryMiB: 64,
      disk: 'carrier',
      nics: [{ network: 'default', mac: '02:7e:00:00:00:09' }],
    };
    const ask = (addresses: Array<{ mac: string; addresses: string[] }>) =>
      b.t.client.POST('/v1/domains/{name}/incoming', {
        params: { path: { name: 'carrier' } },
        body: {
          spec,
          peer: { hostId: a.hostId, certificateFingerprint256: a.fingerprint },
          addresses,
        },
      });
    const notIp = await ask([
      { mac: '02:7e:00:00:00:09', addresses: ['10.0.0.300'] },
    ]);
    expect(notIp.response.status).toBe(400);
    expect(notIp.error).toMatchObject({
      error: {
        code: 'INVALID_REQUEST',
        message: '"10.0.0.300" in addresses is not an IP address',
      },
    });
    const otherNic = await ask([
      { mac: '02:7e:00:00:00:0a', addresses: ['10.0.0.3'] },
    ]);
    expect(otherNic.response.status).toBe(400);
    expect(otherNic.error).toMatchObject({
      error: {
        code: 'INVALID_REQUEST',
        message:
          'addresses names 02:7e:00:00:00:0a, which is not a NIC of the domain',
      },
    });
    // Nothing was held: the same request with a true address is taken.
    const fine = await ask([
      { mac: '02:7e:00:00:00:09', addresses: ['10.0.0.3', 'fd00::3'] },
    ]);
    expect(fine.response.status).toBe(201);
    expect(fine.data).toMatchObject({ domain: 'carrier', state: 'waiting' });
  });
});
