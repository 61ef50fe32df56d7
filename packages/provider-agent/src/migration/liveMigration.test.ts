import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CertificateAuthority,
  createCertificateAuthority,
} from '../pki/createCertificateAuthority';
import { startChannel, waitFor } from '../testing/channelFixture';
import { describeWithTools } from '../testing/describeWithTools';
import {
  Channel,
  expectDomain,
  filesUnder,
  Host,
  installLayers,
  migrate,
  migrationEnded,
  moveDiskLive,
  startHost,
} from './__testUtils__/liveHosts';

jest.setTimeout(120_000);

const MARKER = Buffer.alloc(2 * 1024 ** 2, 0x5a);
const VOLUME_MARKER = Buffer.alloc(64 * 1024, 0xcd);

describeWithTools(
  ['rsync'],
  'live migration between agents (simulated)',
  () => {
    let ca: CertificateAuthority;
    let channel: Channel;
    let a: Host;
    let b: Host;
    /** A source whose moves crawl (256 KiB/s), to catch them under way. */
    let slow: Host;

    beforeAll(async () => {
      ca = await createCertificateAuthority();
      channel = await startChannel();
      a = await startHost(ca, 'host-a');
      b = await startHost(ca, 'host-b');
      slow = await startHost(ca, 'host-s', {
        migration: { bandwidthLimitKiBps: 256 },
      });
      for (const host of [a, b, slow]) await installLayers(host.t, channel);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await slow?.close();
      await channel?.close();
    });

    /** A running domain on `host` whose instance layer holds MARKER. */
    async function runningDomain(host: Host, name: string, nics?: any[]) {
      const disk = await host.t.client.POST('/v1/disks', {
        body: { name, appliance: 'mail', seed: { hostname: name } },
      });
      expect(disk.response.status).toBe(201);
      await fs.appendFile(disk.data!.path, MARKER);
      const volume = await host.t.client.PUT(
        '/v1/disks/{name}/volumes/{volume}',
        {
          params: { path: { name, volume: 'data' } },
          body: { role: 'data', sizeMiB: 8 },
        },
      );
      expect(volume.response.status).toBe(201);
      await fs.appendFile(volume.data!.path, VOLUME_MARKER);
      const spec = {
        vcpus: 1,
        memoryMiB: 64,
        disk: name,
        ...(nics ? { nics } : {}),
      };
      const defined = await host.t.client.PUT('/v1/domains/{name}', {
        params: { path: { name } },
        body: spec,
      });
      expect(defined.response.status).toBe(201);
      await host.t.client.POST('/v1/domains/{name}/start', {
        params: { path: { name } },
      });
      return { spec, diskPath: disk.data!.path };
    }

    const domainState = async (host: Host, name: string) => {
      const res = await host.t.client.GET('/v1/domains/{name}', {
        params: { path: { name } },
      });
      return res.data?.state ?? res.error?.error.code;
    };

    it('moves a running domain: it runs on the destination with its disk data and address, and is gone from the source', async () => {
      const nics = [{ network: 'default', mac: '02:7e:00:00:11:01' }];
      const { spec } = await runningDomain(a, 'web', nics);
      const volume = await a.t.client.GET('/v1/domains/{name}', {
        params: { path: { name: 'web' } },
      });
      const address = volume.data!.interfaces[0].addresses;
      expect(address.length).toBe(1);

      // A running domain's disk is not exported whole, only live.
      const whole = await a.t.client.POST('/v1/disks/{name}/exports', {
        params: { path: { name: 'web' } },
        body: {
          peer: { hostId: 'host-b', certificateFingerprint256: b.fingerprint },
        },
      });
      expect(whole.error).toMatchObject({ error: { code: 'DOMAIN_RUNNING' } });
      const exported = await moveDiskLive(a, b, 'web');
      expect(exported.live).toBe(true);
      expect(exported.files.map(f => f.path).sort()).toEqual([
        'deployment.qcow2',
        'disk.json',
        'seed.iso',
      ]);

      const incoming = await expectDomain(b, a, 'web', spec);
      expect(incoming.response.status).toBe(201);
      expect(incoming.data).toMatchObject({
        domain: 'web',
        state: 'waiting',
        peer: { hostId: 'host-a', certificateFingerprint256: a.fingerprint },
      });
      expect(incoming.data!.target!.disks[0].path).toBe(
        path.join(b.t.config.dataDir, 'disks/web/disk.qcow2'),
      );
      // The name is taken while it waits: neither a second incoming nor a define.
      expect((await expectDomain(b, a, 'web', spec)).error).toMatchObject({
        error: { code: 'DOMAIN_EXISTS' },
      });
      const define = await b.t.client.PUT('/v1/domains/{name}', {
        params: { path: { name: 'web' } },
        body: spec,
      });
      expect(define.error).toMatchObject({ error: { code: 'DOMAIN_EXISTS' } });
      expect(await domainState(b, 'web')).toBe('UNKNOWN_DOMAIN');

      const started = await migrate(a, b, 'web', incoming.data!.id);
      expect(started.response.status).toBe(202);
      expect(started.data).toMatchObject({
        domain: 'web',
        state: 'migrating',
        destination: { agentUrl: b.t.agent.url, hostId: 'host-b' },
      });
      const ended = await migrationEnded(a, 'web', started.data!.id);
      expect(ended.error).toBeUndefined();
      expect(ended).toMatchObject({ state: 'succeeded', progress: 1 });
      expect(ended.bytesDone).toBeGreaterThan(MARKER.length);
      expect(ended.downtimeMs).toBeGreaterThanOrEqual(0);
      expect(ended.finishedAt).toBeDefined();

      const there = await b.t.client.GET('/v1/domains/{name}', {
        params: { path: { name: 'web' } },
      });
      expect(there.data).toMatchObject({ state: 'running', spec });
      expect(there.data!.interfaces[0].addresses).toEqual(address);
      expect(
        (await b.t.client.GET('/v1/domains')).data!.items.map(d => d.name),
      ).toContain('web');
      const stats = await waitFor(
        async () => (await b.t.client.GET('/v1/stats')).data!,
        s => s.domains.some(d => d.name === 'web'),
        20_000,
      );
      expect(stats.domains.map(d => d.name)).toContain('web');
      const onB = await b.t.client.GET('/v1/disks/{name}', {
        params: { path: { name: 'web' } },
      });
      expect((await fs.readFile(onB.data!.path)).includes(MARKER)).toBe(true);
      // The volume came blank with the disk, and its data with the guest.
      expect(onB.data!.volumes).toMatchObject([
        { name: 'data', role: 'data', sizeMiB: 8 },
      ]);
      expect(
        (await fs.readFile(onB.data!.volumes![0].path)).includes(VOLUME_MARKER),
      ).toBe(true);
      expect(
        (
          await b.t.client.GET('/v1/domains/{name}/incoming/{id}', {
            params: { path: { name: 'web', id: incoming.data!.id } },
          })
        ).data,
      ).toMatchObject({ state: 'arrived', arrivedAt: expect.any(String) });
      const late = await b.t.client.DELETE('/v1/domains/{name}/incoming/{id}', {
        params: { path: { name: 'web', id: incoming.data!.id } },
      });
      expect(late.error).toMatchObject({ error: { code: 'DOMAIN_ARRIVED' } });
      expect(await domainState(b, 'web')).toBe('running');

      // Gone from the source; its disk stays there until the backend removes it.
      expect(await domainState(a, 'web')).toBe('UNKNOWN_DOMAIN');
      expect(
        (await a.t.client.GET('/v1/domains')).data!.items.map(d => d.name),
      ).not.toContain('web');
      const removed = await a.t.client.DELETE('/v1/disks/{name}', {
        params: { path: { name: 'web' } },
      });
      expect(removed.response.status).toBe(204);
      expect(
        await filesUnder(path.join(a.t.config.dataDir, 'migration')),
      ).toEqual([]);
    });

    /** After a revert: nothing of `name` on the destination but its disk, which goes too. */
    async function expectNothingOn(host: Host, name: string) {
      expect(await domainState(host, name)).toBe('UNKNOWN_DOMAIN');
      expect(
        await filesUnder(path.join(host.t.config.dataDir, 'domains', name)),
      ).toEqual([]);
      expect(
        (
          await host.t.client.DELETE('/v1/disks/{name}', {
            params: { path: { name } },
          })
        ).response.status,
      ).toBe(204);
      expect(
        await filesUnder(path.join(host.t.config.dataDir, 'disks', name)),
      ).toEqual([]);
    }

    it('cancels a move under way: the domain runs on at the source, nothing stays at the destination', async () => {
      const { spec } = await runningDomain(slow, 'calm');
      await moveDiskLive(slow, b, 'calm');
      const incoming = (await expectDomain(b, slow, 'calm', spec)).data!;
      const started = (await migrate(slow, b, 'calm', incoming.id)).data!;
      const get = async () =>
        (
          await slow.t.client.GET('/v1/domains/{name}/migrations/{id}', {
            params: { path: { name: 'calm', id: started.id } },
          })
        ).data!;
      const moving = await waitFor(get, m => m.bytesDone > 0, 20_000);
      expect(moving.state).toBe('migrating');
      await new Promise(r => setTimeout(r, 1200));
      const later = await get();
      expect(later.state).toBe('migrating');
      expect(
        Date.parse(later.heartbeatAt) - Date.parse(moving.heartbeatAt),
      ).toBeGreaterThanOrEqual(900);
      expect(later.speedBytesPerSecond).toBeGreaterThan(0);
      expect(later.progress).toBeGreaterThan(0);
      expect(later.progress).toBeLessThan(1);

      const cancelled = await slow.t.client.DELETE(
        '/v1/domains/{name}/migrations/{id}',
        { params: { path: { name: 'calm', id: started.id } } },
      );
      expect(cancelled.data).toMatchObject({
        state: 'cancelled',
        error: { code: 'MIGRATION_CANCELLED' },
      });
      expect(await domainState(slow, 'calm')).toBe('running');
      const heartbeat = (await get()).heartbeatAt;
      await new Promise(r => setTimeout(r, 600));
      expect((await get()).heartbeatAt).toBe(heartbeat);

      const abandoned = await b.t.client.DELETE(
        '/v1/domains/{name}/incoming/{id}',
        { params: { path: { name: 'calm', id: incoming.id } } },
      );
      expect(abandoned.response.status).toBe(204);
      const again = await b.t.client.DELETE(
        '/v1/domains/{name}/incoming/{id}',
        {
          params: { path: { name: 'calm', id: incoming.id } },
        },
      );
      expect(again.response.status).toBe(204);
      expect(
        (
          await b.t.client.GET('/v1/domains/{name}/incoming/{id}', {
            params: { path: { name: 'calm', id: incoming.id } },
          })
        ).data,
      ).toMatchObject({ state: 'abandoned' });
      await expectNothingOn(b, 'calm');
      expect(
        await filesUnder(path.join(b.t.config.dataDir, 'migration')),
      ).toEqual([]);
    });

    it('fails a move the destination abandons or lets expire: the domain runs on at the source', async () => {
      const { spec } = await runningDomain(slow, 'stay');
      await moveDiskLive(slow, b, 'stay');

      // Abandoned at the destination mid-way.
      const first = (await expectDomain(b, slow, 'stay', spec)).data!;
      const started = (await migrate(slow, b, 'stay', first.id)).data!;
      await waitFor(
        async () =>
          (
            await slow.t.client.GET('/v1/domains/{name}/migrations/{id}', {
              params: { path: { name: 'stay', id: started.id } },
            })
          ).data!,
        m => m.bytesDone > 0,
        20_000,
      );
      await b.t.client.DELETE('/v1/domains/{name}/incoming/{id}', {
        params: { path: { name: 'stay', id: first.id } },
      });
      const failed = await migrationEnded(slow, 'stay', started.id);
      expect(failed).toMatchObject({
        state: 'failed',
        error: { code: 'MIGRATION_FAILED' },
      });
      expect(await domainState(slow, 'stay')).toBe('running');
      expect(await domainState(b, 'stay')).toBe('UNKNOWN_DOMAIN');

      // Expired before the source came.
      const second = (await expectDomain(b, slow, 'stay', spec, 1)).data!;
      await new Promise(r => setTimeout(r, 1500));
      expect(
        (
          await b.t.client.GET('/v1/domains/{name}/incoming/{id}', {
            params: { path: { name: 'stay', id: second.id } },
          })
        ).data,
      ).toMatchObject({ state: 'expired' });
      const tooLate = (await migrate(slow, b, 'stay', second.id)).data!;
      const refused = await migrationEnded(slow, 'stay', tooLate.id);
      expect(refused).toMatchObject({
        state: 'failed',
        error: { code: 'MIGRATION_FAILED' },
      });
      expect(refused.error!.message).toMatch(/expired/);
      expect(await domainState(slow, 'stay')).toBe('running');
      await expectNothingOn(b, 'stay');
    });
  },
);
