import fs from 'node:fs/promises';
import path from 'node:path';
import { CommandFailedError, runCommand } from '../exec/runCommand';
import { describeWithTools } from '../testing/describeWithTools';
import { LibvirtdHandle, startLibvirtd } from '../testing/libvirtdHarness';
import { relayUnixSockets } from '../testing/relayUnixSockets';
import { HypervisorFixture } from './hypervisorContract';
import { liveMoveContract } from './liveMoveContract';
import { VirshHypervisor } from './VirshHypervisor';

const TOOLS = [
  'virsh',
  'libvirtd',
  'unshare',
  'nsenter',
  'qemu-system-x86_64',
  'qemu-img',
  'qemu-io',
];
/** The migration folder as both daemons (and their guests) see it. */
const IN_DAEMON = '/run/libvirt/tm';

describeWithTools(
  TOOLS,
  'VirshHypervisor live moves between two libvirtds',
  () => {
    let a: LibvirtdHandle;
    let b: LibvirtdHandle;
    let fixture: HypervisorFixture;

    beforeAll(async () => {
      [a, b] = await Promise.all([startLibvirtd(), startLibvirtd()]);
      const work = path.join(a.dir, 'guests');
      const there = path.join(b.dir, 'guests');
      await fs.mkdir(work);
      await fs.mkdir(there);
      // No OS: a TCG guest with an empty disk idles in its BIOS, which is enough to move.
      const base = path.join(work, 'base.qcow2');
      await runCommand('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        base,
        '64M',
      ]);
      const overlay = async (file: string) =>
        runCommand('qemu-img', [
          'create',
          '-q',
          '-f',
          'qcow2',
          '-F',
          'qcow2',
          '-b',
          base,
          file,
        ]);
      const destination = new VirshHypervisor({ uri: b.qemuUri });
      fixture = {
        hypervisor: new VirshHypervisor({ uri: a.qemuUri }),
        specFor: async name => {
          const disk = path.join(work, `${name}.qcow2`);
          await fs.rm(disk, { force: true });
          await overlay(disk);
          return {
            name,
            vcpus: 1,
            memoryMiB: 64,
            disks: [{ path: disk, format: 'qcow2', target: 'vda' }],
            vnc: false,
          };
        },
        honoursShutdown: false,
        prefix: 'lm-',
        live: {
          destination,
          specFor: name => fixture.specFor(name),
          destinationSpecFor: async source => {
            const disk = path.join(there, `${source.name}.qcow2`);
            await fs.rm(disk, { force: true });
            await overlay(disk);
            return {
              ...source,
              disks: source.disks.map(d => ({ ...d, path: disk })),
            };
          },
          tunnel: async id => {
            const relay = await relayUnixSockets([
              { listen: path.join(a.dir, `${id}-hv.sock`), connect: b.socket },
              ...['mem.sock', 'nbd.sock'].map(s => ({
                listen: path.join(a.runDir, 'tm', id, s),
                connect: path.join(b.runDir, 'tm', id, s),
              })),
            ]);
            await fs.mkdir(path.join(b.runDir, 'tm', id), { recursive: true });
            return {
              target: {
                hypervisorSocket: path.join(a.dir, `${id}-hv.sock`),
                socketDir: `${IN_DAEMON}/${id}`,
              },
              close: relay.close,
            };
          },
          writeMarker: async spec => {
            await runCommand('qemu-io', [
              '-f',
              'qcow2',
              '-c',
              'write -P 0x5a 0 8M',
              spec.disks[0].path,
            ]);
          },
          hasMarker: async spec =>
            runCommand('qemu-io', [
              '-f',
              'qcow2',
              '-c',
              'read -P 0x5a 0 8M',
              spec.disks[0].path,
            ]).then(
              () => true,
              e => {
                // qemu-io exits 1 when the pattern is not there.
                if (e instanceof CommandFailedError) return false;
                throw e;
              },
            ),
          slowKiBps: 1024,
        },
      };
    }, 180_000);
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
    }, 60_000);

    liveMoveContract(() => fixture, 120_000);
  },
);
