import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { RunningAgent } from '@tempest/provider-agent';
import { LibvirtdHandle, startLibvirtd } from '@tempest/provider-agent/testing';
import { enrolTestAgent } from './enrolTestAgent';
import { inNamespace } from './inNamespace';
import { hasTool } from './requireTool';
import {
  WEB_SERVER,
  builtSampleImages,
  sampleImageChannel,
} from './sampleImageChannel';
import { Backend } from './startBackend';
import { startRealBackend } from './startRealBackend';
import { jsonCaller, stopQuietly } from './testBedCalls';
import { waitFor } from './waitFor';

/** The host tools a real guest moved between two libvirt hosts needs, and why. */
export const TWO_HOST_TOOLS: Array<[string, string]> = [
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

/** Whether every tool is here (each missing one is printed with its reason). */
export const twoHostToolsPresent = () =>
  TWO_HOST_TOOLS.every(([tool, why]) => hasTool(tool, why));

/** Each host: its libvirtd, the isolated network its guests get (DHCP), its agent. */
export type RealHost = {
  label: 'a' | 'b';
  subnet: string;
  libvirt?: LibvirtdHandle;
  agent?: RunningAgent;
  hostId?: string;
};

/**
 * A backend and two hosts of one provider, each with its own libvirtd (in its
 * own namespaces), an isolated network `lab` with DHCP on `subnet`, and a real
 * agent enrolled through the API; the sample web server is provisionable.
 * Hosts on one subnet stand for hosts on one shared instance network, which a
 * running guest needs to keep its address when it moves live.
 */
export function useTwoLibvirtHosts(subnets: { a: string; b: string }) {
  const bed = {
    work: '',
    base: '',
    backend: undefined as Backend | undefined,
    headers: { 'content-type': 'application/json' } as Record<string, string>,
    a: { label: 'a', subnet: subnets.a } as RealHost,
    b: { label: 'b', subnet: subnets.b } as RealHost,
    sshKey: '',
  };
  const call = jsonCaller(() => bed.base, bed.headers);

  const dataDirOf = (host: RealHost) =>
    path.join(bed.work, `agent-${host.label}`, 'data');
  /** The guest's serial console, as the host's agent records it. */
  const consoleOf = (host: RealHost, domainName: string) =>
    fs.readFileSync(
      path.join(dataDirOf(host), 'domains', domainName, 'console.log'),
      'utf8',
    );
  /** The domains libvirtd on a host knows, running or not. */
  const domainsOn = async (host: RealHost) =>
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
  const onGuest = (host: RealHost, address: string, command: string) =>
    inNamespace(host.libvirt!, [
      'ssh',
      '-i',
      bed.sshKey,
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
  const pageOn = (host: RealHost, address: string, domainName: string) =>
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
  /** Follows an operation to its end and answers it; a failed one throws with the backend's log. */
  const finished = async (operationId: string, what: string) => {
    const op = await waitFor(
      what,
      async () => {
        const body = (
          await call('GET', `/api/appliances/operations/${operationId}`)
        ).body;
        return ['succeeded', 'failed'].includes(body.state) ? body : undefined;
      },
      20 * 60_000,
      500,
    );
    if (op.state !== 'succeeded')
      throw new Error(
        `${what} failed: ${op.error}; steps ${JSON.stringify(op.steps)}\n${bed.backend!.logs().slice(-3000)}`,
      );
    return op;
  };
  /** Provisions the sample web server on a host with the test's SSH key; answers the running instance. */
  const provisionWebServer = async (hostname: string, host: RealHost) => {
    const web = (
      await call(
        'GET',
        '/api/appliances/appliances?channel=real&provides=webserv',
      )
    ).body.items[0];
    const accepted = await call('POST', '/api/appliances/instances', {
      applianceId: web.id,
      hostname,
      size: { cpuCores: 1, memoryMb: 512, storageMb: 2048 },
      domain: 'lab.example',
      hostId: host.hostId,
      sshAuthorizedKeys: [fs.readFileSync(`${bed.sshKey}.pub`, 'utf8').trim()],
    });
    expect(`${accepted.status} ${JSON.stringify(accepted.body)}`).toMatch(
      /^202 /,
    );
    await finished(
      accepted.body.operationId,
      `the provisioning of ${hostname}`,
    );
    return instanceOf(accepted.body.instanceId);
  };

  afterAll(async () => {
    await stopQuietly(bed.backend?.stop);
    await Promise.all([
      stopQuietly(bed.a.agent?.stop),
      stopQuietly(bed.b.agent?.stop),
    ]);
    await Promise.all([
      stopQuietly(bed.a.libvirt?.stop),
      stopQuietly(bed.b.libvirt?.stop),
    ]);
    if (bed.work) fs.rmSync(bed.work, { recursive: true, force: true });
  }, 120_000);

  /** Builds the sample image if needed, starts both libvirtds with their networks, the backend and both agents. */
  const setUp = async () => {
    const images = await builtSampleImages([WEB_SERVER.image]);
    if (images.builtNow)
      console.log(`Built the sample images into ${images.dir}`);
    bed.work = fs.mkdtempSync(path.join(os.tmpdir(), 'tempest-e2e-migrate-'));
    const { channelsDir, osDir, osImage } = sampleImageChannel(
      bed.work,
      images.dir,
      [WEB_SERVER],
    );
    bed.sshKey = path.join(bed.work, 'id_ed25519');
    await promisify(execFile)('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      bed.sshKey,
    ]);
    [bed.a.libvirt, bed.b.libvirt] = await Promise.all([
      startLibvirtd(),
      startLibvirtd(),
    ]);
    for (const host of [bed.a, bed.b]) {
      // Each host's guests: an isolated network with DHCP of its own, reached inside its libvirtd's namespace.
      const netXml = path.join(bed.work, `net-${host.label}.xml`);
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

    ({ backend: bed.backend, base: bed.base } = await startRealBackend({
      work: bed.work,
      channelsDir,
      osDir,
      osImage,
      headers: bed.headers,
      reconcileIntervalSeconds: 5,
    }));

    for (const host of [bed.a, bed.b]) {
      ({ agent: host.agent, hostId: host.hostId } = await enrolTestAgent({
        call,
        work: bed.work,
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
        // Live moves' sockets: each libvirtd sees its own /run/libvirt (its namespace), the agent its folder.
        migration: {
          socketDir: path.join(host.libvirt!.runDir, 'tempest-migrate'),
          hypervisorSocketDir: '/run/libvirt/tempest-migrate',
        },
        onlineWithinMs: 60_000,
      }));
    }
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
  };

  return {
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
    finished,
    provisionWebServer,
  };
}
