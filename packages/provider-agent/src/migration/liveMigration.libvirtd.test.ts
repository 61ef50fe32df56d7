import path from 'node:path';
import { CommandFailedError, runCommand } from '../exec/runCommand';
import {
  CertificateAuthority,
  createCertificateAuthority,
} from '../pki/createCertificateAuthority';
import { startChannel } from '../testing/channelFixture';
import { describeWithTools } from '../testing/describeWithTools';
import { LibvirtdHandle, startLibvirtd } from '../testing/libvirtdHarness';
import {
  Channel,
  expectDomain,
  Host,
  installLayers,
  migrate,
  migrationEnded,
  moveDiskLive,
  startHost,
} from './__testUtils__/liveHosts';

jest.setTimeout(300_000);

const TOOLS = [
  'virsh',
  'libvirtd',
  'unshare',
  'nsenter',
  'qemu-system-x86_64',
  'qemu-img',
  'qemu-io',
  'rsync',
  'genisoimage',
];
/** The migration folder as both daemons see it (their /run/libvirt is their own). */
const IN_DAEMON = '/run/libvirt/tm';
const MARKER_MIB = 8;

describeWithTools(
  TOOLS,
  'live migration between agents on two libvirtds',
  () => {
    let ca: CertificateAuthority;
    let channel: Channel;
    let daemons: LibvirtdHandle[] = [];
    let a: Host;
    let b: Host;

    beforeAll(async () => {
      ca = await createCertificateAuthority();
      channel = await startChannel();
      daemons = await Promise.all([startLibvirtd(), startLibvirtd()]);
      const onDaemon = (daemon: LibvirtdHandle) => ({
        driver: 'libvirt' as const,
        hypervisor: { uri: daemon.qemuUri },
        migration: {
          socketDir: path.join(daemon.runDir, 'tm'),
          hypervisorSocketDir: IN_DAEMON,
        },
      });
      a = await startHost(ca, 'host-a', onDaemon(daemons[0]));
      b = await startHost(ca, 'host-b', onDaemon(daemons[1]));
      for (const host of [a, b]) await installLayers(host.t, channel);
    }, 240_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      for (const daemon of daemons) await daemon.stop();
      await channel?.close();
    }, 60_000);

    const qemuIo = (command: string, file: string) =>
      runCommand('qemu-io', ['-f', 'qcow2', '-c', command, file]);

    it('moves a running TCG guest through the agents: running on B with the data of its instance layer, gone from A', async () => {
      expect((await a.t.client.GET('/v1/info')).data!.capabilities).toContain(
        'live-migration',
      );
      const disk = await a.t.client.POST('/v1/disks', {
        body: { name: 'vm', appliance: 'mail', seed: { hostname: 'vm' } },
      });
      expect(disk.response.status).toBe(201);
      const volume = await a.t.client.PUT('/v1/disks/{name}/volumes/{volume}', {
        params: { path: { name: 'vm', volume: 'data' } },
        body: { role: 'data', sizeMiB: 16 },
      });
      expect(volume.response.status).toBe(201);
      // Guest data in the instance layer and the volume, written before it starts (no OS to write it).
      await qemuIo(`write -P 0x5a 0 ${MARKER_MIB}M`, disk.data!.path);
      await qemuIo('write -P 0xcd 1M 1M', volume.data!.path);
      const spec = { vcpus: 1, memoryMiB: 64, disk: 'vm' };
      await a.t.client.PUT('/v1/domains/{name}', {
        params: { path: { name: 'vm' } },
        body: spec,
      });
      const started = await a.t.client.POST('/v1/domains/{name}/start', {
        params: { path: { name: 'vm' } },
      });
      expect(started.data).toMatchObject({ state: 'running' });

      const exported = await moveDiskLive(a, b, 'vm');
      expect(exported.files.map(f => f.path).sort()).toEqual([
        'deployment.qcow2',
        'disk.json',
        'seed.iso',
      ]);
      const onB = (
        await b.t.client.GET('/v1/disks/{name}', {
          params: { path: { name: 'vm' } },
        })
      ).data!;
      // The instance layer is there, empty, as big as A's, over B's deployment layer.
      expect(onB.layers![0].virtualSizeBytes).toBe(
        disk.data!.layers![0].virtualSizeBytes,
      );
      expect(onB.layers![0].backingPath).toBe(onB.chain[1]);
      await expect(
        qemuIo('read -P 0x5a 0 64k', onB.path).catch(e => {
          if (e instanceof CommandFailedError) return 'empty';
          throw e;
        }),
      ).resolves.toBe('empty');

      const incoming = await expectDomain(b, a, 'vm', spec);
      expect(incoming.response.status).toBe(201);
      const t0 = Date.now();
      const migration = await migrate(a, b, 'vm', incoming.data!.id);
      expect(migration.response.status).toBe(202);
      const ended = await migrationEnded(a, 'vm', migration.data!.id);
      const seconds = (Date.now() - t0) / 1000;
      expect(ended.error).toBeUndefined();
      expect(ended.state).toBe('succeeded');
      expect(ended.bytesDone).toBeGreaterThan((MARKER_MIB + 1) * 1024 ** 2);
      expect(ended.downtimeMs).toBeGreaterThan(0);
      // eslint-disable-next-line no-console
      console.log(
        `live migration of a 64 MiB TCG guest with ${MARKER_MIB} MiB in its instance layer and 1 MiB in a volume: ${seconds.toFixed(1)} s, ` +
          `${(ended.bytesDone / 1024 ** 2).toFixed(1)} MiB moved, downtime ${ended.downtimeMs} ms`,
      );

      const there = await b.t.client.GET('/v1/domains/{name}', {
        params: { path: { name: 'vm' } },
      });
      expect(there.data).toMatchObject({ state: 'running', spec });
      expect(
        (await b.t.client.GET('/v1/domains')).data!.items.map(d => d.name),
      ).toEqual(['vm']);
      const info = await runCommand('virsh', [
        '-c',
        daemons[1].qemuUri,
        'dominfo',
        'vm',
      ]);
      expect(info.stdout).toMatch(/Persistent:\s+yes/);
      const gone = await a.t.client.GET('/v1/domains/{name}', {
        params: { path: { name: 'vm' } },
      });
      expect(gone.error).toMatchObject({ error: { code: 'UNKNOWN_DOMAIN' } });
      const left = await runCommand('virsh', [
        '-q',
        '-c',
        daemons[0].qemuUri,
        'list',
        '--all',
        '--name',
      ]);
      expect(left.stdout.trim()).toBe('');
      expect(
        (
          await b.t.client.DELETE('/v1/domains/{name}/incoming/{id}', {
            params: { path: { name: 'vm', id: incoming.data!.id } },
          })
        ).error,
      ).toMatchObject({ error: { code: 'DOMAIN_ARRIVED' } });

      // The data came through NBD into B's instance layer.
      await b.t.client.POST('/v1/domains/{name}/destroy', {
        params: { path: { name: 'vm' } },
      });
      await qemuIo(`read -P 0x5a 0 ${MARKER_MIB}M`, onB.path);
      await qemuIo('read -P 0xcd 1M 1M', onB.volumes![0].path);
      // A keeps the disk until the backend removes it.
      expect(
        (
          await a.t.client.DELETE('/v1/disks/{name}', {
            params: { path: { name: 'vm' } },
          })
        ).response.status,
      ).toBe(204);
    });
  },
);
