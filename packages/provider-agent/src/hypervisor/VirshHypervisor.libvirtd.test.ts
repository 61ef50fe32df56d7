import fs from 'node:fs/promises';
import path from 'node:path';
import { QemuImgDiskStore } from '../disks/QemuImgDiskStore';
import { GenisoimageSeedBuilder } from '../seed/GenisoimageSeedBuilder';
import { startChannel, waitFor } from '../testing/channelFixture';
import { describeWithTools } from '../testing/describeWithTools';
import { LibvirtdHandle, startLibvirtd } from '../testing/libvirtdHarness';
import { startTestAgent } from '../testing/startTestAgent';
import {
  APPLIANCE_MARKER,
  buildTinyAppliance,
  OS_MARKER,
  TinyAppliance,
} from '../testing/tinyAppliance';
import { hypervisorContract, HypervisorFixture } from './hypervisorContract';
import { VirshHypervisor } from './VirshHypervisor';
import { runCommand } from '../exec/runCommand';
import { installTinyAppliance } from './__testUtils__/installTinyAppliance';

const DAEMON_TOOLS = ['virsh', 'libvirtd', 'unshare', 'nsenter'];
const GUEST_TOOLS = [
  ...DAEMON_TOOLS,
  'qemu-system-x86_64',
  'qemu-img',
  'qemu-io',
  'genisoimage',
  'isoinfo',
  'cpio',
  'busybox',
  'dpkg-deb',
  'apt-get',
];

// One libvirtd per test run (it takes 10-15 s to start), shared by both tiers below.
let daemon: Promise<LibvirtdHandle> | undefined;
const libvirtd = () => (daemon ??= startLibvirtd());
afterAll(async () => {
  if (daemon) await (await daemon).stop();
}, 60_000);

describeWithTools(
  DAEMON_TOOLS,
  'VirshHypervisor on libvirtd with the test driver',
  () => {
    let fixture: HypervisorFixture;
    beforeAll(async () => {
      const handle = await libvirtd();
      fixture = {
        hypervisor: new VirshHypervisor({ uri: handle.testUri }),
        specFor: async name => ({
          name,
          vcpus: 1,
          memoryMiB: 64,
          disks: [
            {
              path: path.join(handle.dir, `${name}.qcow2`),
              format: 'qcow2',
              target: 'vda',
            },
          ],
        }),
        // The test driver completes a shutdown request at once, as the simulated driver does.
        honoursShutdown: true,
        prefix: 'vt-',
        // The test driver's stock network; it reports an address for each NIC of a running domain.
        network: 'default',
      };
    }, 120_000);

    describe('test-driver contract', () => {
      hypervisorContract(() => fixture);
    });
  },
);

describeWithTools(GUEST_TOOLS, 'VirshHypervisor with real TCG guests', () => {
  let handle: LibvirtdHandle;
  let appliance: TinyAppliance;
  let fixture: HypervisorFixture;

  beforeAll(async () => {
    handle = await libvirtd();
    const work = path.join(handle.dir, 'guests');
    await fs.mkdir(work, { recursive: true });
    appliance = await buildTinyAppliance(work);
    const store = new QemuImgDiskStore(handle.dir);
    const seeds = new GenisoimageSeedBuilder(handle.dir);
    await store.adoptImage(appliance.osImage, {});
    await store.adoptImage(appliance.applianceImage, {
      backingPath: appliance.osImage,
    });
    fixture = {
      hypervisor: new VirshHypervisor({
        uri: handle.qemuUri,
        connectLoopback: handle.connectLoopback,
      }),
      specFor: async name => {
        const disk = path.join(work, `${name}.qcow2`);
        const seed = path.join(work, `${name}-seed.iso`);
        await store.createOverlay(disk, appliance.applianceImage);
        await seeds.build(seed, { instanceId: name, hostname: name });
        return {
          name,
          vcpus: 1,
          memoryMiB: 128,
          disks: [
            { path: disk, format: 'qcow2', target: 'vda' },
            { path: seed, format: 'raw', target: 'vdb', readOnly: true },
          ],
          kernel: {
            path: appliance.kernel,
            initrdPath: appliance.initrd,
            cmdline: 'console=ttyS0 quiet panic=-1',
          },
          consoleLogPath: path.join(work, `${name}.log`),
        };
      },
      // The busybox guest has no ACPI handling: a shutdown request is ignored, so the timeout destroys it.
      honoursShutdown: false,
      prefix: 'vq-',
      display: 'guest',
    };
  }, 300_000);

  describe('TCG guest contract', () => {
    hypervisorContract(() => fixture, { shutdownMs: 2_000, testMs: 90_000 });
  });

  it('boots an appliance installed and layered through the agent API and reads its hostname from the serial console', async () => {
    const channel = await startChannel();
    const t = await startTestAgent(
      { driver: 'libvirt', hypervisor: { uri: handle.qemuUri } },
      { dir: await fs.mkdtemp(path.join(handle.dir, 'agent-')) },
    );
    try {
      const downloads = await installTinyAppliance(t, channel, appliance);
      for (const done of downloads)
        expect(done).toMatchObject({ state: 'done' });

      const disk = await t.client.POST('/v1/disks', {
        body: {
          name: 'tiny-1',
          appliance: 'tiny',
          deployment: 'lab',
          seed: { hostname: 'tiny-one', domain: 'lab.example' },
        },
      });
      expect(disk.response.status).toBe(201);
      expect(disk.data!.layers!.map(l => l.backingPath ?? null)).toEqual([
        disk.data!.chain[1],
        disk.data!.chain[2],
        disk.data!.chain[3],
        null,
      ]);

      const params = { params: { path: { name: 'tiny-1' } } };
      const defined = await t.client.PUT('/v1/domains/{name}', {
        ...params,
        body: {
          vcpus: 1,
          memoryMiB: 128,
          disk: 'tiny-1',
          kernel: {
            kernel: 'cloud-kernel',
            initrd: 'tiny-initrd',
            cmdline: 'console=ttyS0 quiet panic=-1',
          },
        },
      });
      expect(defined.response.status).toBe(201);
      expect(
        (await t.client.POST('/v1/domains/{name}/start', params)).data!.state,
      ).toBe('running');

      const console = await waitFor(
        async () =>
          ((
            await t.client.GET('/v1/domains/{name}/console', {
              ...params,
              parseAs: 'text',
            })
          ).data as string) ?? '',
        text => text.includes('TEMPEST-BOOTED'),
        120_000,
      );
      expect(console).toContain('TEMPEST-HOSTNAME=tiny-one');
      expect(console).toContain('TEMPEST-FQDN=tiny-one.lab.example');
      expect(console).toContain(`TEMPEST-OS=${OS_MARKER}`);
      expect(console).toContain(`TEMPEST-APPLIANCE=${APPLIANCE_MARKER}`);

      await t.client.GET('/v1/stats');
      await new Promise(r => setTimeout(r, 500));
      const stats = await t.client.GET('/v1/stats');
      const guest = stats.data!.domains.find(d => d.name === 'tiny-1');
      expect(guest!.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(guest!.cpuPercent).toBeLessThanOrEqual(100);
      expect((await t.client.GET('/v1/info')).data).toMatchObject({
        driver: 'libvirt',
        diskStore: 'qemu-img',
      });

      const stopped = await t.client.POST('/v1/domains/{name}/shutdown', {
        ...params,
        body: { timeoutSeconds: 2 },
      });
      expect(stopped.data).toMatchObject({ state: 'shutoff', forced: true });
      expect(
        (await t.client.DELETE('/v1/domains/{name}', params)).response.status,
      ).toBe(204);
      expect(
        (await t.client.DELETE('/v1/disks/{name}', params)).response.status,
      ).toBe(204);
    } finally {
      await t.close();
      await channel.close();
    }
  }, 240_000);
});

describeWithTools(
  [...GUEST_TOOLS, 'dnsmasq', 'iptables', 'curl'],
  'A real TCG guest on a libvirt network with DHCP',
  () => {
    it('takes a DHCP address the agent reports by its MAC, and answers HTTP from the host', async () => {
      const handle = await libvirtd();
      const work = await fs.mkdtemp(path.join(handle.dir, 'net-'));
      const appliance = await buildTinyAppliance(work);
      // An isolated network with DHCP: the host reaches guests over the bridge.
      const xml = path.join(work, 'net.xml');
      await fs.writeFile(
        xml,
        `<network><name>tempest-lab</name><bridge name='tmplab0' stp='off'/>
<ip address='192.168.150.1' netmask='255.255.255.0'><dhcp><range start='192.168.150.10' end='192.168.150.99'/></dhcp></ip></network>`,
      );
      await runCommand('virsh', ['-c', handle.qemuUri, 'net-define', xml]);
      await runCommand('virsh', [
        '-c',
        handle.qemuUri,
        'net-start',
        'tempest-lab',
      ]);
      const channel = await startChannel();
      const t = await startTestAgent(
        {
          driver: 'libvirt',
          hypervisor: { uri: handle.qemuUri },
          networks: [
            { name: 'lab', mode: 'nat', libvirtNetwork: 'tempest-lab' },
          ],
        },
        { dir: await fs.mkdtemp(path.join(handle.dir, 'agent-')) },
      );
      try {
        await installTinyAppliance(t, channel, appliance);
        await t.client.POST('/v1/disks', {
          body: {
            name: 'web-1',
            appliance: 'tiny',
            seed: { hostname: 'web-one' },
          },
        });
        const params = { params: { path: { name: 'web-1' } } };
        const mac = '02:7e:00:00:15:01';
        const defined = await t.client.PUT('/v1/domains/{name}', {
          ...params,
          body: {
            vcpus: 1,
            memoryMiB: 128,
            disk: 'web-1',
            kernel: {
              kernel: 'cloud-kernel',
              initrd: 'tiny-initrd',
              cmdline: 'console=ttyS0 quiet panic=-1',
            },
            nics: [{ network: 'lab', mac }],
          },
        });
        expect(defined.response.status).toBe(201);
        const started = Date.now();
        await t.client.POST('/v1/domains/{name}/start', params);
        const domain = await waitFor(
          async () => (await t.client.GET('/v1/domains/{name}', params)).data!,
          d => d.interfaces[0]?.addresses.length > 0,
          150_000,
        );
        const addressAfter = (Date.now() - started) / 1000;
        expect(domain.interfaces).toEqual([
          {
            network: 'lab',
            mac,
            addresses: [expect.stringMatching(/^192\.168\.150\.\d+$/)],
          },
        ]);
        const address = domain.interfaces[0].addresses[0];
        let lastFailure = '';
        const page = await waitFor(
          () =>
            runCommand('nsenter', [
              '-t',
              String(handle.netnsPid),
              '-n',
              'curl',
              '-sS',
              '--max-time',
              '3',
              `http://${address}/`,
            ]).then(
              r => r.stdout,
              (e: Error) => {
                lastFailure = e.message;
                return '';
              },
            ),
          text => text.includes('TEMPEST-WEB'),
          60_000,
        ).catch(async e => {
          const log = await t.client.GET('/v1/domains/{name}/console', {
            ...params,
            parseAs: 'text',
          });
          throw new Error(
            `${e.message} (${lastFailure}); the guest's console: ${log.data}`,
          );
        });
        expect(page.trim()).toBe('TEMPEST-WEB host=web-one');
        // Figures for the record (not a timed test): start to address, start to HTTP.
        console.log(
          `TCG guest: address ${address} after ${addressAfter.toFixed(1)} s, HTTP after ${((Date.now() - started) / 1000).toFixed(1)} s from start`,
        );
        await t.client.POST('/v1/domains/{name}/destroy', params);
        await t.client.DELETE('/v1/domains/{name}', params);
      } finally {
        await t.close();
        await channel.close();
      }
    }, 300_000);
  },
);
