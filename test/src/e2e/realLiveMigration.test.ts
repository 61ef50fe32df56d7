import {
  twoHostToolsPresent,
  useTwoLibvirtHosts,
} from '../support/twoLibvirtHosts';
import { inNamespace } from '../support/inNamespace';
import { Step, mib, seconds, stepTimes } from '../support/testBedCalls';
import { waitFor } from '../support/waitFor';

// Building the images when they are missing takes up to ~10 minutes; TCG guests boot slowly on a busy machine.
jest.setTimeout(60 * 60_000);

const present = twoHostToolsPresent();

(present ? describe : describe.skip)(
  'a running real guest moved live between two libvirt hosts through the backend (TCG)',
  () => {
    // One subnet on both hosts: the provider's shared instance network, so the guest keeps its address.
    const t = useTwoLibvirtHosts({ a: '192.168.154', b: '192.168.154' });
    const { bed, call, onGuest, pageOn, instanceOf, act, domainsOn } = t;
    const marker = `moved-while-running-${process.pid}-${Date.now()}`;

    it('sets up a backend and two hosts of one provider on one instance network, each with its own libvirtd and real agent', async () => {
      await t.setUp();
      expect(bed.a.hostId).not.toBe(bed.b.hostId);
    });

    it('moves a running web server from host A to host B without a reboot: same address, same page, same files, one boot', async () => {
      const onA = await t.provisionWebServer('web-live', bed.a);
      expect(onA).toMatchObject({
        state: 'started',
        hostId: bed.a.hostId,
        network: 'lab',
        addresses: [expect.stringMatching(/^192\.168\.154\.\d+$/)],
      });
      const id: string = onA.id;
      const disk: string = onA.domainName;
      const [address] = onA.addresses;
      expect(await pageOn(bed.a, address, disk)).toContain(
        'Simple Web Server on web-live.lab.example',
      );
      // Something of its own on its disks and in its memory: a page marker, a file, and its boot.
      const bootId = (
        await waitFor(
          `SSH to web-live at ${address}`,
          () =>
            onGuest(
              bed.a,
              address,
              `echo '<p id="marker">${marker}</p>' >> /srv/www/index.html && echo ${marker} > /root/marker && sync && cat /proc/sys/kernel/random/boot_id`,
            ).then(r => r.stdout.trim()),
          5 * 60_000,
          2000,
        ).catch(e => {
          throw new Error(
            `${e.message}\nconsole:\n${t.consoleOf(bed.a, disk).slice(-3000)}`,
          );
        })
      ).split('\n')[0];
      expect(bootId).toMatch(/^[0-9a-f-]{36}$/);

      const targets = (
        await call('GET', `/api/appliances/instances/${id}/migration-targets`)
      ).body;
      expect(targets.items).toEqual([
        expect.objectContaining({ hostId: bed.b.hostId, fits: true }),
      ]);
      const requested = Date.now();
      const moving = await act(id, {
        action: 'migrate',
        expectedVersion: onA.version,
        hostId: bed.b.hostId,
      });
      expect(moving.instance).toMatchObject({
        state: 'migrating',
        version: onA.version + 1,
      });
      const moved = await t.finished(
        moving.operationId!,
        'the live move of web-live to host B',
      );
      const done = Date.now();
      const step = (name: string): Step =>
        moved.steps.find((s: Step) => s.name === name);
      expect(moved.steps.map((s: Step) => [s.name, s.state])).toEqual(
        [
          'place',
          'reserve-capacity',
          'install-images',
          'export',
          'transfer',
          'receive',
          'live-move',
          'commit',
          'clean-up',
        ].map(name => [name, 'done']),
      );
      expect(step('clean-up').detail?.leftBehind).toBeUndefined();
      const live = step('live-move');
      const sent: number = live.detail!.bytesDone;
      expect(sent).toBeGreaterThan(0);
      const liveMs = Date.parse(live.finishedAt!) - Date.parse(live.startedAt!);

      // Running on B, never stopped: one version for the claim, one for the commit.
      const onB = await instanceOf(id);
      expect(onB).toMatchObject({
        state: 'started',
        hostId: bed.b.hostId,
        network: 'lab',
        domainName: disk,
        version: onA.version + 2,
      });
      expect(await domainsOn(bed.a)).not.toContain(disk);
      expect(await domainsOn(bed.b)).toContain(disk);

      // The same guest at the same address, reached on B's network: its page, its file, its boot.
      const pageB = await pageOn(bed.b, address, disk);
      const servedAt = Date.now();
      expect(pageB).toContain(marker);
      const after = (
        await onGuest(
          bed.b,
          address,
          'cat /root/marker && cat /proc/sys/kernel/random/boot_id',
        )
      ).stdout
        .trim()
        .split('\n');
      expect(after).toEqual([marker, bootId]);
      // B's agent finds the address (ARP: B's DHCP server never leased it).
      await waitFor(
        'the instance to show its address on host B',
        async () => (await instanceOf(id)).addresses?.[0] === address,
        120_000,
        1000,
      ).catch(async e => {
        const seen = async (args: string[]) =>
          inNamespace(bed.b.libvirt!, args).then(
            r => r.stdout.trim(),
            (f: Error) => f.message,
          );
        throw new Error(
          `${e.message}; B's neighbours: ${await seen(['ip', 'neigh'])}; ` +
            `virsh domifaddr --source arp: ${await seen(['virsh', '-c', bed.b.libvirt!.qemuUri, 'domifaddr', '--domain', disk, '--source', 'arp'])}; ` +
            `instance: ${JSON.stringify(await instanceOf(id))}`,
        );
      });

      // An ordinary running instance on B: it stops there.
      const stopped = (
        await act(id, { action: 'stop', expectedVersion: onB.version })
      ).instance;
      expect(stopped).toMatchObject({ state: 'stopped', hostId: bed.b.hostId });

      console.log(
        `web-live moved live real-host-a -> real-host-b (TCG, 512 MiB guest): migrate to succeeded ${seconds(done - requested)}; ` +
          `steps: ${stepTimes(moved)}; ` +
          `live-move sent ${mib(sent)} in ${seconds(liveMs)}${
            live.detail!.speedBytesPerSecond
              ? ` (${mib(live.detail!.speedBytesPerSecond)}/s)`
              : ''
          }, guest paused ${live.detail!.downtimeMs ?? '?'} ms; ` +
          `page served from B ${seconds(servedAt - done)} after the move; same boot_id`,
      );
    });
  },
);
