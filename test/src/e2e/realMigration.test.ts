import fs from 'node:fs';
import path from 'node:path';
import {
  twoHostToolsPresent,
  useTwoLibvirtHosts,
} from '../support/twoLibvirtHosts';
import { waitFor } from '../support/waitFor';
import { Step, mib, seconds, stepTimes } from '../support/testBedCalls';

// Building the images when they are missing takes up to ~10 minutes; TCG guests boot slowly on a busy machine.
jest.setTimeout(60 * 60_000);

const present = twoHostToolsPresent();

(present ? describe : describe.skip)(
  'a real guest moved between two libvirt hosts through the backend (TCG)',
  () => {
    const {
      bed,
      call,
      setUp,
      dataDirOf,
      consoleOf,
      domainsOn,
      onGuest,
      pageOn,
      instanceOf,
      act,
      finished: operationEnd,
      provisionWebServer,
    } = useTwoLibvirtHosts({ a: '192.168.152', b: '192.168.153' });
    const hostA = bed.a;
    const hostB = bed.b;
    /** What the test wrote onto the guest's disks on host A. */
    const marker = `moved-with-its-disk-${process.pid}-${Date.now()}`;

    it('sets up a backend and two hosts of one provider, each with its own libvirtd, isolated network and real agent', async () => {
      await setUp();
      expect(hostA.hostId).not.toBe(hostB.hostId);
    });

    it('moves a stopped web server with the data written on it from host A to host B, where it serves its page', async () => {
      // Provisioned on host A.
      const provisioned = await provisionWebServer('web-1', hostA);
      const id: string = provisioned.id;
      const onA = await instanceOf(id);
      expect(onA).toMatchObject({
        state: 'started',
        hostId: hostA.hostId,
        network: 'lab',
        addresses: [expect.stringMatching(/^192\.168\.152\.\d+$/)],
      });
      const disk: string = onA.domainName;
      const [addressA] = onA.addresses;
      const pageA = await pageOn(hostA, addressA, disk);
      expect(pageA).toContain('Simple Web Server on web-1.lab.example');

      // Something of its own on both of its disks: the page (the user disk) and a file on the root disk.
      await waitFor(
        `SSH to web-1 at ${addressA}`,
        () =>
          onGuest(
            hostA,
            addressA,
            `echo '<p id="marker">${marker}</p>' >> /srv/www/index.html && echo ${marker} > /root/marker && sync`,
          ).then(() => true),
        5 * 60_000,
        2000,
      ).catch(e => {
        throw new Error(
          `${e.message}\nconsole:\n${consoleOf(hostA, disk).slice(-3000)}`,
        );
      });

      // Stopped (one version on), then moved to host B.
      const stopRequested = Date.now();
      const stopped = (
        await act(id, { action: 'stop', expectedVersion: onA.version })
      ).instance;
      expect(stopped).toMatchObject({
        state: 'stopped',
        version: onA.version + 1,
      });
      const stopMs = Date.now() - stopRequested;
      // The guest powered itself off on the ACPI power button (cleanly, its disks synced), not destroyed at the timeout.
      expect(consoleOf(hostA, disk)).toMatch(/reboot: Power down/);
      const targets = (
        await call('GET', `/api/appliances/instances/${id}/migration-targets`)
      ).body;
      expect(targets.items).toEqual([
        expect.objectContaining({ hostId: hostB.hostId, fits: true }),
      ]);
      const requested = Date.now();
      const moving = await act(id, {
        action: 'migrate',
        expectedVersion: stopped.version,
        hostId: hostB.hostId,
      });
      expect(moving.instance).toMatchObject({
        state: 'migrating',
        version: stopped.version + 1,
      });
      const moved = await operationEnd(
        moving.operationId!,
        'the move of web-1 to host B',
      );
      const finished = Date.now();
      const step = (name: string): Step =>
        moved.steps.find((s: Step) => s.name === name);
      expect(moved.steps.map((s: Step) => [s.name, s.state])).toEqual(
        [
          'place',
          'reserve-capacity',
          'install-images',
          'export',
          'transfer',
          'define',
          'commit',
          'clean-up',
        ].map(name => [name, 'done']),
      );
      expect(step('clean-up').detail?.leftBehind).toBeUndefined();
      const transfer = step('transfer');
      const transferred: number = transfer.detail!.bytesDone;
      expect(transferred).toBe(transfer.detail!.bytesTotal);
      expect(transferred).toBe(step('export').detail!.totalBytes);
      expect(transferred).toBeGreaterThan(0);
      // The import's average speed, kept on the finished step.
      const speed: number = transfer.detail!.speedBytesPerSecond;
      expect(speed).toBeGreaterThan(0);
      const transferMs =
        Date.parse(transfer.finishedAt!) - Date.parse(transfer.startedAt!);

      // On B, stopped as it left A, one version on per transition; its old address is forgotten.
      const onB = await instanceOf(id);
      expect(onB).toMatchObject({
        state: 'stopped',
        hostId: hostB.hostId,
        network: 'lab',
        domainName: disk,
        version: stopped.version + 2,
        addresses: [],
      });
      const events = (
        await call('GET', `/api/appliances/instances/${id}/events`)
      ).body.items;
      expect(
        events
          .filter((e: any) => e.version > stopped.version)
          .map((e: any) => [e.action, e.fromState, e.toState, e.version])
          .sort((x: any[], y: any[]) => x[3] - y[3]),
      ).toEqual([
        ['migrate', 'stopped', 'migrating', stopped.version + 1],
        ['migrate', 'migrating', 'stopped', stopped.version + 2],
      ]);

      // A has neither the domain nor the disk; B has both.
      expect(await domainsOn(hostA)).not.toContain(disk);
      expect(await domainsOn(hostB)).toContain(disk);
      expect(fs.existsSync(path.join(dataDirOf(hostA), 'disks', disk))).toBe(
        false,
      );
      expect(fs.existsSync(path.join(dataDirOf(hostA), 'domains', disk))).toBe(
        false,
      );
      expect(
        fs.readdirSync(path.join(dataDirOf(hostB), 'disks', disk)).sort(),
      ).toEqual(
        expect.arrayContaining(['disk.json', 'disk.qcow2', 'seed.iso']),
      );

      // Started on B: an address on B's network, the page with what was written on A.
      const started = (
        await act(id, { action: 'start', expectedVersion: onB.version })
      ).instance;
      expect(started).toMatchObject({ state: 'started', hostId: hostB.hostId });
      const startedAt = Date.now();
      const addressB = (await waitFor(
        'web-1 to report its address on host B',
        async () => (await instanceOf(id)).addresses?.[0],
        10 * 60_000,
        1000,
      ).catch(e => {
        throw new Error(
          `${e.message}\nconsole:\n${consoleOf(hostB, disk).slice(-3000)}`,
        );
      })) as string;
      expect(addressB).toMatch(/^192\.168\.153\.\d+$/);
      const pageB = await pageOn(hostB, addressB, disk);
      const servedAt = Date.now();
      expect(pageB).toContain('Simple Web Server on web-1.lab.example');
      expect(pageB).toContain(marker);
      expect(
        (await onGuest(hostB, addressB, 'cat /root/marker')).stdout.trim(),
      ).toBe(marker);
      const log = consoleOf(hostB, disk);
      expect(log).toMatch(/tempest: swap on \/dev\/vd[c-z]/);
      expect(log).toMatch(/tempest: user disk \/dev\/vd[c-z] on \/srv\/user/);

      console.log(
        `web-1 stopped on real-host-a in ${seconds(stopMs)} (ACPI power-off); ` +
          `moved to real-host-b (TCG, qemu-img store): migrate to succeeded ${seconds(finished - requested)}; ` +
          `steps: ${stepTimes(moved)}; ` +
          `transfer ${mib(transferred)} (${transferred} bytes, ${step('export').detail!.files} files) in a ${seconds(transferMs)} step, ` +
          `import at ${mib(speed)}/s (step detail); ` +
          `start on B to address ${addressB} and HTTP ${seconds(servedAt - startedAt)}`,
      );
    });
  },
);
