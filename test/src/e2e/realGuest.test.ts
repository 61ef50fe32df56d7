import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RunningAgent } from '@tempest/provider-agent';
import { LibvirtdHandle, startLibvirtd } from '@tempest/provider-agent/testing';
import { enrolTestAgent } from '../support/enrolTestAgent';
import { waitFor } from '../support/waitFor';
import { hasTool } from '../support/requireTool';
import { Backend } from '../support/startBackend';
import { startRealBackend } from '../support/startRealBackend';
import {
  DNS_SERVER,
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
  ['/usr/bin/virsh', 'the agent drives libvirt through virsh'],
  ['/usr/sbin/libvirtd', 'guests run under libvirtd in its own namespace'],
  ['/usr/bin/qemu-system-x86_64', 'the sample appliances boot under TCG'],
  ['/usr/bin/qemu-img', 'instance disks are qcow2 backing chains'],
  ['/usr/bin/genisoimage', 'the cloud-init seed is an ISO'],
  ['/usr/sbin/dnsmasq', "libvirt's network gives guests DHCP through dnsmasq"],
  ['/usr/sbin/iptables', "libvirt's network driver applies firewall rules"],
  ['/usr/bin/curl', 'the host fetches the web page from the guest'],
  ['/usr/bin/unshare', 'libvirtd runs in its own network namespace'],
  ['/usr/bin/nsenter', 'the host reaches guests in that namespace'],
  ['/usr/bin/apt-get', 'missing sample images are built from Debian packages'],
];
const present = tools.every(([tool, why]) => hasTool(tool, why));

(present ? describe : describe.skip)(
  'real sample appliances provisioned through the backend on libvirt (TCG)',
  () => {
    let work: string;
    let libvirt: LibvirtdHandle | undefined;
    let backend: Backend | undefined;
    let agent: RunningAgent | undefined;
    let base: string;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
    };
    const call = jsonCaller(() => base, headers);

    afterAll(async () => {
      await stopQuietly(backend?.stop);
      await stopQuietly(agent?.stop);
      await stopQuietly(libvirt?.stop);
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }, 120_000);

    /** Provisions through POST /instances and waits for its operation; answers the started instance and the seconds it took. */
    async function provision(body: Record<string, unknown>) {
      const requested = Date.now();
      const accepted = await call('POST', '/api/appliances/instances', body);
      expect(`${accepted.status} ${JSON.stringify(accepted.body)}`).toMatch(
        /^202 /,
      );
      const operation = await waitFor(
        `the provisioning of ${body.hostname}`,
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
      if (operation.state !== 'succeeded')
        throw new Error(
          `Provisioning ${body.hostname} failed: ${operation.error}\n${backend!.logs().slice(-3000)}`,
        );
      const instance = (
        await call(
          'GET',
          `/api/appliances/instances/${accepted.body.instanceId}`,
        )
      ).body;
      return { instance, operation, requested };
    }

    /** The guest's serial console, as the agent records it. */
    const consoleOf = (domainName: string) =>
      fs.readFileSync(
        path.join(work, 'agent/data/domains', domainName, 'console.log'),
        'utf8',
      );

    it('sets up a backend, a real agent and an isolated libvirt network with DHCP', async () => {
      const images = await builtSampleImages([
        WEB_SERVER.image,
        DNS_SERVER.image,
      ]);
      if (images.builtNow)
        console.log(`Built the sample images into ${images.dir}`);
      work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-e2e-real-'));
      const { channelsDir, osDir, osImage } = sampleImageChannel(
        work,
        images.dir,
        [WEB_SERVER, DNS_SERVER],
      );
      libvirt = await startLibvirtd();
      // The guests' network: isolated, with DHCP; the host reaches it inside libvirtd's namespace.
      const netXml = path.join(work, 'net.xml');
      fs.writeFileSync(
        netXml,
        `<network><name>tempest-real</name><bridge name='tmpreal0' stp='off'/>
<ip address='192.168.151.1' netmask='255.255.255.0'><dhcp><range start='192.168.151.10' end='192.168.151.99'/></dhcp></ip></network>`,
      );
      await inNamespace(libvirt, [
        'virsh',
        '-c',
        libvirt.qemuUri,
        'net-define',
        netXml,
      ]);
      await inNamespace(libvirt, [
        'virsh',
        '-c',
        libvirt.qemuUri,
        'net-start',
        'tempest-real',
      ]);

      ({ backend, base } = await startRealBackend({
        work,
        channelsDir,
        osDir,
        osImage,
        headers,
      }));

      ({ agent } = await enrolTestAgent({
        call,
        work,
        name: 'real-host',
        cpuModel: 'QEMU TCG',
        cpuCores: 4,
        memoryMb: 4096,
        hypervisorUri: libvirt.qemuUri,
        networks: [
          { name: 'lab', mode: 'nat', libvirtNetwork: 'tempest-real' },
        ],
        onlineWithinMs: 60_000,
      }));
      const appliances = await waitFor(
        'both appliances to be provisionable',
        async () => {
          const items = (
            await call('GET', '/api/appliances/appliances?channel=real')
          ).body.items;
          return items?.length === 2 &&
            items.every((a: any) => a.signature.provisionable)
            ? items
            : undefined;
        },
        120_000,
      );
      expect(appliances.map((a: any) => a.provides).sort()).toEqual([
        'dns',
        'webserv',
      ]);
    });

    it('provisions the web server through the backend: DHCP, its swap and user disks, its page over HTTP from the host', async () => {
      const web = (
        await call(
          'GET',
          '/api/appliances/appliances?channel=real&provides=webserv',
        )
      ).body.items[0];
      const { instance, operation, requested } = await provision({
        applianceId: web.id,
        hostname: 'web-1',
        size: { cpuCores: 1, memoryMb: 512, storageMb: 2048 },
        domain: 'lab.example',
      });
      const published = Date.now();
      expect(instance).toMatchObject({
        state: 'started',
        mac: expect.stringMatching(/^02:7e(:[0-9a-f]{2}){4}$/),
        network: 'lab',
        domain: 'lab.example',
        addresses: [expect.stringMatching(/^192\.168\.151\.\d+$/)],
        webpanelUrl: expect.stringMatching(
          /^http:\/\/192\.168\.151\.\d+\/panel\/$/,
        ),
      });
      const createDisk = operation.steps.find(
        (s: any) => s.name === 'create-disk',
      );
      expect(createDisk.detail.volumes).toEqual([
        { name: 'hda3', role: 'swap', sizeMiB: 128 },
        { name: 'hda2', role: 'user', sizeMiB: 128 },
      ]);
      const [address] = instance.addresses;
      const page = await waitFor(
        `web-1's page at ${address}`,
        async () => {
          const { stdout } = await inNamespace(libvirt!, [
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
          `${e.message}\nconsole:\n${consoleOf(instance.domainName).slice(-3000)}`,
        );
      });
      const reachable = Date.now();
      // Its domain reached the guest through the seed; the page names it.
      expect(page).toContain('Simple Web Server on web-1.lab.example');
      // The swap and user disks are there and in use.
      const log = consoleOf(instance.domainName);
      expect(log).toMatch(/tempest: swap on \/dev\/vd[c-z]/);
      expect(log).toMatch(/tempest: user disk \/dev\/vd[c-z] on \/srv\/user/);
      console.log(
        `web-1 (webserv-1.0.0, TCG): provision to published ${seconds(published - requested)} (address ${address}), to HTTP ${seconds(reachable - requested)}; steps: ${stepTimes(operation)}`,
      );
    });

    it('provisions the DNS server with a domain and DNS_RECORDS, and it answers DNS queries over UDP', async () => {
      const dns = (
        await call(
          'GET',
          '/api/appliances/appliances?channel=real&provides=dns',
        )
      ).body.items[0];
      expect(dns.variables.map((v: any) => v.name)).toEqual(['DNS_RECORDS']);
      const { instance, operation, requested } = await provision({
        applianceId: dns.id,
        hostname: 'ns-1',
        size: { cpuCores: 1, memoryMb: 256, storageMb: 1024 },
        domain: 'lab.example',
        variables: { DNS_RECORDS: 'www=192.168.151.200 mail=192.168.151.201' },
      });
      const [address] = instance.addresses;
      const query = (name: string) =>
        inNamespace(libvirt!, [
          process.execPath,
          '-r',
          require.resolve('sucrase/register/ts'),
          path.join(__dirname, '../support/dnsQuery.ts'),
          address,
          name,
        ]).then(r => r.stdout.trim());
      const own = await waitFor(
        `ns-1's DNS answer at ${address}`,
        () => query('ns-1.lab.example'),
        10 * 60_000,
        1000,
      ).catch(e => {
        throw new Error(
          `${e.message}\nconsole:\n${consoleOf(instance.domainName).slice(-3000)}`,
        );
      });
      const answering = Date.now();
      expect(own).toBe(address);
      // The records its variable gave it, in its domain.
      expect(await query('www.lab.example')).toBe('192.168.151.200');
      expect(await query('mail.lab.example')).toBe('192.168.151.201');
      console.log(
        `ns-1 (dns, TCG): provision to DNS answer ${seconds(answering - requested)} (address ${address}); steps: ${stepTimes(operation)}`,
      );
    });
  },
);
