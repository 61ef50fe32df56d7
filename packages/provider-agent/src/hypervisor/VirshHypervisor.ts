import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { AgentError } from '../errors/AgentError';
import { runCommand } from '../exec/runCommand';
import { validateName } from '../validation/names';
import { buildDomainXml } from './buildDomainXml';
import {
  DomainState,
  DomainStatus,
  Hypervisor,
  IncomingDomain,
  LiveMoveProgress,
  LiveMoveResult,
  LiveMoveTarget,
  NicAddresses,
  NodeInfo,
  ResolvedDomainSpec,
  ResolvedNic,
} from './Hypervisor';
import { VirshCalls, virshMoveLive, virshReceiveLive } from './virshLiveMove';
import {
  libvirtSocketOf,
  mapVirshError,
  parseDomifaddr,
  parseFields,
  parseKiB,
  parseVncDisplay,
} from './virshOutput';

export { libvirtSocketOf, parseDomifaddr, parseVncDisplay };

export interface VirshHypervisorOptions {
  /** libvirt URI: qemu:///system, test:///default, qemu+unix:///system?socket=... */
  uri: string;
  /** `<domain type=...>`; defaults to `test` for test:// URIs and `qemu` (TCG) otherwise. */
  domainType?: string;
  virsh?: string;
  timeoutMs?: number;
  /**
   * Opens a TCP stream to a VNC port on the host's loopback. Defaults to a
   * plain connection; a test whose libvirtd runs in its own network
   * namespace passes a way into that namespace.
   */
  connectLoopback?: (port: number) => Promise<Duplex>;
}

const STATES: Record<string, DomainState> = {
  running: 'running',
  idle: 'blocked',
  blocked: 'blocked',
  paused: 'paused',
  'in shutdown': 'shutdown',
  'shut off': 'shutoff',
  crashed: 'crashed',
  pmsuspended: 'pmsuspended',
  'no state': 'nostate',
};

/** The libvirt driver: every call is `virsh -c URI ...` with an argument array. */
export class VirshHypervisor implements Hypervisor {
  readonly driver = 'libvirt' as const;
  readonly uri: string;
  private readonly domainType: string;
  private readonly virsh: string;
  private readonly timeoutMs: number;
  private readonly connectLoopback: (port: number) => Promise<Duplex>;
  readonly rpcSocket?: string;

  constructor(options: VirshHypervisorOptions) {
    if (
      !options.uri ||
      /[\s]/.test(options.uri) ||
      options.uri.startsWith('-')
    ) {
      throw new AgentError(
        'INVALID_REQUEST',
        `Invalid hypervisor URI ${JSON.stringify(options.uri)}`,
      );
    }
    this.uri = options.uri;
    this.domainType =
      options.domainType ?? (/^test(\+|:)/.test(options.uri) ? 'test' : 'qemu');
    this.virsh = options.virsh ?? 'virsh';
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.connectLoopback = options.connectLoopback ?? connectTcp;
    this.rpcSocket = libvirtSocketOf(options.uri);
  }

  moveLive(
    name: string,
    target: LiveMoveTarget,
    options: { signal: AbortSignal; onProgress(p: LiveMoveProgress): void },
  ): Promise<LiveMoveResult> {
    validateName(name, 'domain name');
    return virshMoveLive(this.calls(), name, target, options);
  }

  async receiveLive(spec: ResolvedDomainSpec): Promise<IncomingDomain> {
    validateName(spec.name, 'domain name');
    if (await this.exists(spec.name))
      throw new AgentError(
        'DOMAIN_EXISTS',
        `Domain ${spec.name} is already defined`,
      );
    return virshReceiveLive(this.calls(), spec);
  }

  private calls(): VirshCalls {
    return {
      uri: this.uri,
      virsh: this.virsh,
      domainType: this.domainType,
      run: (args, uri) => this.run(args, uri),
    };
  }

  async nodeInfo(): Promise<NodeInfo> {
    const fields = parseFields(await this.run(['nodeinfo']));
    return {
      cpus: Number(fields['CPU(s)']),
      cpuModel: fields['CPU model'] ?? 'unknown',
      memoryBytes: parseKiB(fields['Memory size']) * 1024,
    };
  }

  async define(spec: ResolvedDomainSpec): Promise<void> {
    validateName(spec.name, 'domain name');
    if (await this.exists(spec.name)) {
      throw new AgentError(
        'DOMAIN_EXISTS',
        `Domain ${spec.name} is already defined`,
      );
    }
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-domain-'));
    try {
      const file = path.join(dir, 'domain.xml');
      await fs.writeFile(file, buildDomainXml(spec, this.domainType));
      await this.run(['define', '--file', file]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  async start(name: string) {
    await this.domainCommand('start', name);
  }

  async shutdown(name: string) {
    await this.domainCommand('shutdown', name);
  }

  async destroy(name: string) {
    await this.domainCommand('destroy', name);
  }

  async suspend(name: string) {
    await this.domainCommand('suspend', name);
  }

  async resume(name: string) {
    await this.domainCommand('resume', name);
  }

  async undefine(name: string) {
    const { state } = await this.status(name);
    if (state !== 'shutoff' && state !== 'crashed') {
      throw new AgentError(
        'DOMAIN_STATE_CONFLICT',
        `Domain ${name} must be shut off before it is undefined`,
      );
    }
    await this.domainCommand('undefine', name);
  }

  async status(name: string): Promise<DomainStatus> {
    validateName(name, 'domain name');
    const fields = parseFields(await this.run(['dominfo', '--domain', name]));
    return {
      name,
      state: STATES[fields.State] ?? 'nostate',
      vcpus: Number(fields['CPU(s)']),
      memoryMiB: Math.round(parseKiB(fields['Max memory']) / 1024),
    };
  }

  async list(): Promise<DomainStatus[]> {
    const names = (await this.run(['list', '--all', '--name']))
      .split('\n')
      .map(n => n.trim())
      .filter(n => n && /^[a-z0-9][a-z0-9-]{0,62}$/.test(n));
    const result: DomainStatus[] = [];
    for (const name of names) {
      try {
        result.push(await this.status(name));
      } catch (e) {
        if (!(e instanceof AgentError && e.code === 'UNKNOWN_DOMAIN')) throw e; // undefined meanwhile
      }
    }
    return result;
  }

  async interfaceAddresses(
    name: string,
    nics: ResolvedNic[],
  ): Promise<NicAddresses[]> {
    validateName(name, 'domain name');
    const found = new Map<string, Set<string>>(
      nics.map(n => [n.mac.toLowerCase(), new Set<string>()]),
    );
    const sources = [...new Set(nics.map(n => n.addressSource))];
    // A guest moved here live keeps its address, but this host's DHCP has no
    // lease for it until it renews: then its lease NICs are looked up in ARP.
    const unleased = () =>
      nics.some(
        n =>
          n.addressSource === 'lease' && !found.get(n.mac.toLowerCase())!.size,
      );
    const asked = sources.length;
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i];
      let out: string;
      try {
        out = await this.run([
          'domifaddr',
          '--domain',
          name,
          '--source',
          source,
        ]);
      } catch (e) {
        // The ARP fallback is a best effort: without it the lease NIC shows none.
        if (i >= asked) break;
        // Not running: it holds no address.
        if (e instanceof AgentError && e.code === 'DOMAIN_STATE_CONFLICT')
          return nics.map(n => ({ mac: n.mac, addresses: [] }));
        throw e;
      }
      for (const { mac, address } of parseDomifaddr(out))
        found.get(mac)?.add(address);
      if (i === sources.length - 1 && !sources.includes('arp') && unleased())
        sources.push('arp');
    }
    return nics.map(n => ({
      mac: n.mac,
      addresses: [...found.get(n.mac.toLowerCase())!].sort(),
    }));
  }

  async openVnc(name: string): Promise<Duplex> {
    const { state } = await this.status(name);
    if (!['running', 'blocked', 'paused'].includes(state))
      throw new AgentError(
        'DOMAIN_STATE_CONFLICT',
        `Domain ${name} is not running (state ${state}): it has no display`,
      );
    let out = '';
    try {
      out = await this.run(['vncdisplay', '--domain', name]);
    } catch (e) {
      // "Failed to get VNC port. Is this domain using VNC?": none to open.
      if (!(e instanceof AgentError && /VNC/.test(e.message))) throw e;
    }
    const display = parseVncDisplay(out);
    if (!display)
      throw new AgentError(
        'NOT_SUPPORTED',
        `Domain ${name} has no VNC display on the loopback (defined before consoles, or without graphics)`,
      );
    return this.connectLoopback(display.port);
  }

  async cpuTimes(): Promise<Map<string, number>> {
    const out = await this.run([
      'domstats',
      '--cpu-total',
      '--list-active',
      '--raw',
    ]);
    const times = new Map<string, number>();
    let current: string | undefined;
    const missing: string[] = [];
    for (const line of out.split('\n')) {
      const domain = /^Domain: '(.*)'$/.exec(line.trim());
      if (domain) {
        if (current && !times.has(current)) missing.push(current);
        current = domain[1];
        continue;
      }
      const time = /^cpu\.time=(\d+)$/.exec(line.trim());
      if (time && current) times.set(current, Number(time[1]));
    }
    if (current && !times.has(current)) missing.push(current);
    // Some drivers (the test driver) report no cpu.time in domstats; dominfo has it.
    for (const name of missing) {
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) continue;
      const fields = parseFields(await this.run(['dominfo', '--domain', name]));
      const seconds = parseFloat(fields['CPU time'] ?? '');
      if (Number.isFinite(seconds)) times.set(name, Math.round(seconds * 1e9));
    }
    return times;
  }

  private async exists(name: string): Promise<boolean> {
    try {
      await this.run(['domstate', '--domain', name]);
      return true;
    } catch (e) {
      if (e instanceof AgentError && e.code === 'UNKNOWN_DOMAIN') return false;
      throw e;
    }
  }

  private async domainCommand(command: string, name: string) {
    validateName(name, 'domain name');
    await this.run([command, '--domain', name]);
  }

  private async run(args: string[], uri = this.uri): Promise<string> {
    try {
      return (
        await runCommand(this.virsh, ['-q', '-c', uri, ...args], {
          timeoutMs: this.timeoutMs,
        })
      ).stdout;
    } catch (e) {
      throw mapVirshError(e);
    }
  }
}

function connectTcp(port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
