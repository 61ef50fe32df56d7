import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hypervisorContract, HypervisorFixture } from './hypervisorContract';
import { relayUnixSockets } from '../testing/relayUnixSockets';
import { SimulatedHypervisor } from './SimulatedHypervisor';

describe('SimulatedHypervisor', () => {
  let dir: string;
  let fixture: HypervisorFixture;

  let there: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-hv-'));
    there = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-hv-there-'));
    // Each simulated host sees the migration folder `/mig` in a place of its own, as libvirtds in their own mount namespaces do.
    const mapped = (root: string) => (p: string) =>
      p.startsWith('/mig/') ? path.join(root, 'mig', p.slice(5)) : p;
    const destination = new SimulatedHypervisor({
      stateDir: there,
      hostPath: mapped(there),
    });
    const marker = Buffer.alloc(8 * 1024 ** 2, 0x5a);
    fixture = {
      hypervisor: new SimulatedHypervisor({
        stateDir: dir,
        defaultLoad: 0.5,
        addressPools: { default: '10.77.0.0/24' },
        hostPath: mapped(dir),
      }),
      specFor: async name => ({
        name,
        vcpus: 2,
        memoryMiB: 256,
        disks: [
          {
            path: path.join(dir, `${name}.qcow2`),
            format: 'qcow2',
            target: 'vda',
          },
        ],
      }),
      honoursShutdown: true,
      prefix: 'sim-',
      network: 'default',
      display: 'test-pattern',
      live: {
        destination,
        specFor: name => fixture.specFor(name),
        destinationSpecFor: async source => {
          const file = path.join(there, `${source.name}.qcow2`);
          await fs.writeFile(file, '');
          return {
            ...source,
            disks: source.disks.map(d => ({ ...d, path: file })),
          };
        },
        tunnel: async id => {
          const relay = await relayUnixSockets(
            ['mem.sock', 'nbd.sock'].map(s => ({
              listen: path.join(dir, 'mig', id, s),
              connect: path.join(there, 'mig', id, s),
            })),
          );
          return {
            target: {
              hypervisorSocket: path.join(dir, 'mig', id, 'hv.sock'),
              socketDir: `/mig/${id}`,
            },
            close: relay.close,
          };
        },
        writeMarker: spec => fs.writeFile(spec.disks[0].path, marker),
        hasMarker: async spec =>
          (await fs.readFile(spec.disks[0].path)).equals(marker),
        slowKiBps: 512,
      },
    };
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(there, { recursive: true, force: true });
  });

  describe('contract', () => {
    hypervisorContract(() => fixture);
  });

  it('keeps its domains across a restart (state files in its data dir)', async () => {
    const first = new SimulatedHypervisor({ stateDir: dir });
    await first.define(await fixture.specFor('persisted'));
    await first.start('persisted');
    const second = new SimulatedHypervisor({ stateDir: dir });
    await expect(second.status('persisted')).resolves.toMatchObject({
      state: 'running',
      vcpus: 2,
    });
  });

  it('keeps each domain in a file of its own and removes it when the domain is undefined', async () => {
    const own = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-hv-files-'));
    try {
      const hv = new SimulatedHypervisor({ stateDir: own });
      await hv.define(await fixture.specFor('file-a'));
      await hv.define(await fixture.specFor('file-b'));
      await hv.start('file-b');
      const files = async () =>
        (await fs.readdir(path.join(own, 'domains'))).sort();
      expect(await files()).toEqual(['file-a.json', 'file-b.json']);
      await hv.undefine('file-a');
      expect(await files()).toEqual(['file-b.json']);
      const again = new SimulatedHypervisor({ stateDir: own });
      expect((await again.list()).map(d => [d.name, d.state])).toEqual([
        ['file-b', 'running'],
      ]);
    } finally {
      await fs.rm(own, { recursive: true, force: true });
    }
  });

  it('takes over the single state file earlier versions wrote', async () => {
    const own = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-hv-legacy-'));
    try {
      const spec = await fixture.specFor('legacy-1');
      await fs.writeFile(
        path.join(own, 'hypervisor.json'),
        JSON.stringify({
          domains: [
            { spec, state: 'running', cpuTimeNs: 0, since: 0, load: 0.1 },
          ],
        }),
      );
      const hv = new SimulatedHypervisor({ stateDir: own });
      await expect(hv.status('legacy-1')).resolves.toMatchObject({
        state: 'running',
      });
      expect((await fs.readdir(own)).sort()).toEqual(['domains']);
      await hv.destroy('legacy-1');
      const again = new SimulatedHypervisor({ stateDir: own });
      await expect(again.status('legacy-1')).resolves.toMatchObject({
        state: 'shutoff',
      });
    } finally {
      await fs.rm(own, { recursive: true, force: true });
    }
  });

  it("carries a moved guest's CPU time, load and addresses to the destination", async () => {
    const { hypervisor, live } = fixture;
    const spec = {
      ...(await fixture.specFor('carried')),
      nics: [
        {
          network: 'default',
          mac: '02:7e:00:00:00:c1',
          addressSource: 'lease' as const,
        },
      ],
    };
    await hypervisor.define(spec);
    await hypervisor.start(spec.name);
    await (hypervisor as SimulatedHypervisor).setLoad(spec.name, 1);
    await new Promise(r => setTimeout(r, 100));
    const before = (await hypervisor.cpuTimes()).get(spec.name)!;
    const addresses = await hypervisor.interfaceAddresses(spec.name, spec.nics);
    const target = await live!.destinationSpecFor(spec);
    const tunnel = await live!.tunnel('carried');
    const incoming = await live!.destination.receiveLive(
      target,
      tunnel.target.socketDir,
    );
    await hypervisor.moveLive(
      spec.name,
      { ...tunnel.target, spec: target },
      { signal: new AbortController().signal, onProgress: () => {} },
    );
    await incoming.arrived;
    await tunnel.close();
    const after = (await live!.destination.cpuTimes()).get(spec.name)!;
    expect(after).toBeGreaterThanOrEqual(before);
    expect(
      await live!.destination.interfaceAddresses(spec.name, spec.nics),
    ).toEqual(addresses);
    await new Promise(r => setTimeout(r, 100));
    // Load 1 on 2 vCPUs goes on there: about 2 × 100 ms more.
    expect(
      ((await live!.destination.cpuTimes()).get(spec.name)! - after) / 1e6,
    ).toBeGreaterThan(100);
    // Its state file there is read back by a restarted hypervisor.
    const again = new SimulatedHypervisor({ stateDir: there });
    expect((await again.status(spec.name)).state).toBe('running');
    await live!.destination.destroy(spec.name);
    await live!.destination.undefine(spec.name);
  });

  it('derives CPU time from the configured load', async () => {
    const hv = new SimulatedHypervisor({ stateDir: dir });
    await hv.define(await fixture.specFor('loaded'));
    await hv.start('loaded');
    await hv.setLoad('loaded', 1);
    const t1 = (await hv.cpuTimes()).get('loaded')!;
    await new Promise(r => setTimeout(r, 200));
    const t2 = (await hv.cpuTimes()).get('loaded')!;
    // 2 vCPUs fully busy: about 2 × 200 ms of CPU time.
    expect((t2 - t1) / 1e6).toBeGreaterThan(300);
    expect((t2 - t1) / 1e6).toBeLessThan(800);
  });

  it('leases distinct addresses from the pool, keeps them across a restart and a stop, and frees them on undefine', async () => {
    const pools = { lab: '10.88.0.0/30' }; // room for one guest: .2
    const hv = new SimulatedHypervisor({ stateDir: dir, addressPools: pools });
    const nic = (mac: string) => [
      { network: 'lab', mac, addressSource: 'lease' as const },
    ];
    const a = nic('02:7e:00:00:00:0a');
    const b = nic('02:7e:00:00:00:0b');
    await hv.define({ ...(await fixture.specFor('pool-a')), nics: a });
    await hv.define({ ...(await fixture.specFor('pool-b')), nics: b });
    await hv.start('pool-a');
    await hv.start('pool-b');
    expect(await hv.interfaceAddresses('pool-a')).toEqual([
      { mac: a[0].mac, addresses: ['10.88.0.2'] },
    ]);
    // The pool is exhausted: no address, as a DHCP server with no free lease.
    expect(await hv.interfaceAddresses('pool-b')).toEqual([
      { mac: b[0].mac, addresses: [] },
    ]);

    const restarted = new SimulatedHypervisor({
      stateDir: dir,
      addressPools: pools,
    });
    await restarted.destroy('pool-a');
    await restarted.start('pool-a');
    expect(await restarted.interfaceAddresses('pool-a')).toEqual([
      { mac: a[0].mac, addresses: ['10.88.0.2'] },
    ]);

    await restarted.destroy('pool-a');
    await restarted.undefine('pool-a');
    await restarted.destroy('pool-b');
    await restarted.start('pool-b');
    expect(await restarted.interfaceAddresses('pool-b')).toEqual([
      { mac: b[0].mac, addresses: ['10.88.0.2'] },
    ]);
  });

  it('hands out addresses past the first 256 of a bigger pool', async () => {
    const hv = new SimulatedHypervisor({
      stateDir: dir,
      addressPools: { lab: '10.77.0.0/16' },
    });
    const spec = await fixture.specFor('big-0');
    const mac = (i: number) =>
      `02:7e:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    for (let i = 0; i < 260; i++) {
      await hv.define({
        ...spec,
        name: `big-${i}`,
        nics: [{ network: 'lab', mac: mac(i), addressSource: 'lease' }],
      });
      await hv.start(`big-${i}`);
    }
    // .0.0 is the network and .0.1 the gateway: the 260th guest has .1.5.
    expect(await hv.interfaceAddresses('big-259')).toEqual([
      { mac: mac(259), addresses: ['10.77.1.5'] },
    ]);
  });
});
