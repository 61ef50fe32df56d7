import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RunningAgent } from '@tempest/provider-agent';
import { LibvirtdHandle, startLibvirtd } from '@tempest/provider-agent/testing';
import { enrolTestAgent } from '../support/enrolTestAgent';
import { waitFor } from '../support/waitFor';
import { hasTool } from '../support/requireTool';
import { Backend } from '../support/startBackend';
import { startRealBackend } from '../support/startRealBackend';
import {
  WEB_SERVER,
  builtSampleImages,
  sampleImageChannel,
} from '../support/sampleImageChannel';
import { inNamespace } from '../support/inNamespace';
import {
  jsonCaller,
  seconds,
  stepTimes,
  stopQuietly,
} from '../support/testBedCalls';

// Building the images when they are missing takes up to ~10 minutes; TCG guests boot slowly on a busy machine.
jest.setTimeout(60 * 60_000);

const tools: Array<[string, string]> = [
  ['/usr/bin/virsh', 'the agents drive libvirt through virsh'],
  ['/usr/sbin/libvirtd', 'each host runs its guests under its own libvirtd'],
  ['/usr/bin/qemu-system-x86_64', 'the sample appliance boots under TCG'],
  ['/usr/bin/qemu-img', 'instance disks are qcow2 backing chains'],
  ['/usr/bin/genisoimage', 'the cloud-init seed is an ISO'],
  ['/usr/sbin/dnsmasq', "libvirt's networks give guests DHCP through dnsmasq"],
  ['/usr/sbin/iptables', "libvirt's network driver applies firewall rules"],
  ['/usr/bin/rsync', 'the destination agent pulls the disk with rsync'],
  ['/usr/bin/curl', 'the host fetches the web page from the guest'],
  ['/usr/bin/ssh', 'the test writes a marker onto the guest over SSH'],
  ['/usr/bin/ssh-keygen', 'the guest is given a fresh SSH key'],
  ['/usr/bin/unshare', 'each libvirtd runs in its own network namespace'],
  ['/usr/bin/nsenter', 'the host reaches guests in those namespaces'],
  ['/usr/bin/apt-get', 'missing sample images are built from Debian packages'],
];
const present = tools.every(([tool, why]) => hasTool(tool, why));

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

type Step = {
  name: string;
  state: string;
  startedAt?: string;
  finishedAt?: string;
  detail?: Record<string, any>;
};

/** Each host: its libvirtd, the isolated network its guests get (DHCP), its agent. */
type Host = {
  label: 'a' | 'b';
  subnet: string;
  libvirt?: LibvirtdHandle;
  agent?: RunningAgent;
  hostId?: string;
};

(present ? describe : describe.skip)(
  'a real guest moved between two libvirt hosts through the backend (TCG)',
  () => {
    let work: string;
    let backend: Backend | undefined;
    let base: string;
    const hostA: Host = { label: 'a', subnet: '192.168.152' };
    const hostB: Host = { label: 'b', subnet: '192.168.153' };
    let sshKey: string;
    /** What the test wrote onto the guest's disks on host A. */
    const marker = `moved-with-its-disk-${process.pid}-${Date.now()}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
    };
    const call = jsonCaller(() => base, headers);

    afterAll(async () => {
      await stopQuietly(backend?.stop);
      await Promise.all([
        stopQuietly(hostA.agent?.stop),
        stopQuietly(hostB.agent?.stop),
      ]);
      await Promise.all([
        stopQuietly(hostA.libvirt?.stop),
        stopQuietly(hostB.libvirt?.stop),
      ]);
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 120_000);

    const dataDirOf = (host: Host) =>
      path.join(work, `agent-${host.label}`, 'data');
    /** The guest's serial console, as the host's agent records it. */
    const consoleOf = (host: Host, domainName: string) =>
      fs.readFileSync(
        path.join(dataDirOf(host), 'domains', domainName, 'console.log'),
        'utf8',
      );
    /** The domains libvirtd on a host knows, running or not. */
    const domainsOn = async (host: Host) =>
      (
        await promisify(execFile)('virsh', [
          '-q',
          '-c',
          host.libvirt!.qemuUri,
          'list',
          '--all',
          '--name',
        ])
      ).stdout
        .split('\n')
        .map(n => n.trim())
        .filter(Boolean);
    /** A command on the guest as root over SSH, from the host's namespace. */
    const onGuest = (host: Host, address: string, command: string) =>
      inNamespace(host.libvirt!, [
        'ssh',
        '-i',
        sshKey,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=5',
        '-o',
        'LogLevel=ERROR',
        `root@${address}`,
        command,
      ]);
    /** The guest's web page, once it answers, fetched from the host's namespace. */
    const pageOn = (host: Host, address: string, domainName: string) =>
      waitFor(
        `the page at ${address} on host ${host.label}`,
        async () => {
          const { stdout } = await inNamespace(host.libvirt!, [
            'curl',
            '-sS',
            '--max-time',
            '3',
            `http://${address}/`,
          ]);
          return stdout.includes('Simple Web Server') ? stdout : undefined;
        },
        10 * 60_000,
        1000,
      ).catch(e => {
        throw new Error(
          `${e.message}\nconsole:\n${consoleOf(host, domainName).slice(-3000)}`,
        );
      });
    const instanceOf = async (id: string) =>
      (await call('GET', `/api/appliances/instances/${id}`)).body;
    /** Posts an instance action and checks it was accepted. */
    const act = async (
      id: string,
      body: { action: string; expectedVersion: number; hostId?: string },
    ) => {
      const res = await call(
        'POST',
        `/api/appliances/instances/${id}/actions`,
        body,
      );
      expect(`${res.status} ${JSON.stringify(res.body)}`).toMatch(/^200 /);
      return res.body as { instance: any; operationId?: string };
    };

    it('sets up a backend and two hosts of one provider, each with its own libvirtd, isolated network and real agent', async () => {
      const images = await builtSampleImages([WEB_SERVER.image]);
      if (images.builtNow)
        console.log(`Built the sample images into ${images.dir}`);
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-e2e-migrate-'));
      const { channelsDir, osDir, osImage } = sampleImageChannel(
        work,
        images.dir,
        [WEB_SERVER],
      );
      sshKey = path.join(work, 'id_ed25519');
      await promisify(execFile)('ssh-keygen', [
        '-q',
        '-t',
        'ed25519',
        '-N',
        '',
        '-f',
        sshKey,
      ]);
      [hostA.libvirt, hostB.libvirt] = await Promise.all([
        startLibvirtd(),
        startLibvirtd(),
      ]);
      for (const host of [hostA, hostB]) {
        // Each host's guests: an isolated network with DHCP of its own, reached inside its libvirtd's namespace.
        const netXml = path.join(work, `net-${host.label}.xml`);
        fs.writeFileSync(
          netXml,
          `<network><name>tempest-mig-${host.label}</name><bridge name='tmpmig${host.label}0' stp='off'/>
<ip address='${host.subnet}.1' netmask='255.255.255.0'><dhcp><range start='${host.subnet}.10' end='${host.subnet}.99'/></dhcp></ip></network>`,
        );
        const virsh = (...args: string[]) =>
          inNamespace(host.libvirt!, [
            'virsh',
            '-c',
            host.libvirt!.qemuUri,
            ...args,
          ]);
        await virsh('net-define', netXml);
        await virsh('net-start', `tempest-mig-${host.label}`);
      }

      ({ backend, base } = await startRealBackend({
        work,
        channelsDir,
        osDir,
        osImage,
        headers,
        reconcileIntervalSeconds: 5,
      }));

      for (const host of [hostA, hostB]) {
        ({ agent: host.agent, hostId: host.hostId } = await enrolTestAgent({
          call,
          work,
          name: `real-host-${host.label}`,
          dir: `agent-${host.label}`,
          cpuModel: 'QEMU TCG',
          cpuCores: 4,
          memoryMb: 4096,
          hypervisorUri: host.libvirt!.qemuUri,
          // The same network name on both hosts, each its own libvirt network: the instance keeps its network.
          networks: [
            {
              name: 'lab',
              mode: 'nat',
              libvirtNetwork: `tempest-mig-${host.label}`,
            },
          ],
          onlineWithinMs: 60_000,
        }));
      }
      expect(hostA.hostId).not.toBe(hostB.hostId);
      await waitFor(
        'the web server to be provisionable',
        async () => {
          const items = (
            await call('GET', '/api/appliances/appliances?channel=real')
          ).body.items;
          return items?.length === 1 && items[0].signature.provisionable;
        },
        120_000,
      );
    });

    it('moves a stopped web server with the data written on it from host A to host B, where it serves its page', async () => {
      const web = (
        await call(
          'GET',
          '/api/appliances/appliances?channel=real&provides=webserv',
        )
      ).body.items[0];

      // Provisioned on host A.
      const accepted = await call('POST', '/api/appliances/instances', {
        applianceId: web.id,
        hostname: 'web-1',
        size: { cpuCores: 1, memoryMb: 512, storageMb: 2048 },
        domain: 'lab.example',
        hostId: hostA.hostId,
        sshAuthorizedKeys: [fs.readFileSync(`${sshKey}.pub`, 'utf8').trim()],
      });
      expect(`${accepted.status} ${JSON.stringify(accepted.body)}`).toMatch(
        /^202 /,
      );
      const id: string = accepted.body.instanceId;
      const provisioned = await waitFor(
        'the provisioning of web-1',
        async () => {
          const op = await call(
            'GET',
            `/api/appliances/operations/${accepted.body.operationId}`,
          );
          return ['succeeded', 'failed'].includes(op.body.state)
            ? op.body
            : undefined;
        },
        20 * 60_000,
        2000,
      );
      if (provisioned.state !== 'succeeded')
        throw new Error(
          `Provisioning web-1 failed: ${provisioned.error}\n${backend!.logs().slice(-3000)}`,
        );
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
      const moved = await waitFor(
        'the move of web-1 to host B',
        async () => {
          const op = (
            await call(
              'GET',
              `/api/appliances/operations/${moving.operationId}`,
            )
          ).body;
          return ['succeeded', 'failed'].includes(op.state) ? op : undefined;
        },
        10 * 60_000,
        500,
      );
      const finished = Date.now();
      if (moved.state !== 'succeeded')
        throw new Error(
          `Moving web-1 failed: ${moved.error}; steps ${JSON.stringify(moved.steps)}\n${backend!.logs().slice(-3000)}`,
        );
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
