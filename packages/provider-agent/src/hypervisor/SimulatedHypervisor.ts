import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { duplexPair } from '../console/duplexPair';
import { serveTestFramebuffer } from '../console/serveTestFramebuffer';
import { AgentError } from '../errors/AgentError';
import { writeJsonAtomic } from '../storage/writeJsonAtomic';
import { validateName } from '../validation/names';
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
} from './Hypervisor';
import {
  leaseFromPools,
  loadSimulatedDomains,
  writeSimulatedBootLog,
} from './simulatedGuest';
import { receiveSimulatedGuest, sendSimulatedGuest } from './simulatedLiveMove';

export interface SimulatedDomain {
  spec: ResolvedDomainSpec;
  state: DomainState;
  /** CPU time accumulated up to `since`, in ns. */
  cpuTimeNs: number;
  since: number;
  /** Fraction of its vCPUs the guest keeps busy while running. */
  load: number;
  /** The address each NIC (by MAC) was given from its network's pool, kept while defined as a DHCP reservation is. */
  leases?: Record<string, string>;
}

export interface SimulatedHypervisorOptions {
  /** Directory holding the simulated host's state: `domains/<name>.json`, one file per domain. */
  stateDir: string;
  node?: Partial<NodeInfo>;
  defaultLoad?: number;
  /** The IPv4 pool (CIDR) of each libvirt network name; NICs elsewhere get no address. */
  addressPools?: Record<string, string>;
  /**
   * Where a path the hypervisor is given (a live move's socket folder) is on
   * this host's filesystem, as for a libvirtd in a mount namespace of its
   * own; unchanged when left out.
   */
  hostPath?: (hypervisorPath: string) => string;
}

/**
 * A hypervisor in JSON files, one per domain as libvirt keeps one XML file per
 * domain, so a change writes that domain only: for the embedded default and
 * fast tests.
 * Differences from libvirt: shutdown completes at once (a real guest may
 * ignore it), and CPU time follows each domain's configured load.
 */
export class SimulatedHypervisor implements Hypervisor {
  readonly driver = 'simulated' as const;
  readonly uri: string;
  /** No RPC socket: a live move needs only the memory and disk streams. */
  readonly rpcSocket: string | undefined = undefined;
  private readonly dir: string;
  private readonly domains = new Map<string, SimulatedDomain>();
  private readonly node: NodeInfo;
  private readonly defaultLoad: number;
  private readonly addressPools: Record<string, string>;
  private readonly hostPath: (hypervisorPath: string) => string;
  /** Per domain: its file's write under way, and the one waiting to follow it. */
  private readonly saving = new Map<string, Promise<void>>();
  private readonly nextSave = new Map<string, Promise<void>>();

  constructor(options: SimulatedHypervisorOptions) {
    this.dir = path.join(options.stateDir, 'domains');
    this.uri = `simulated://${this.dir}`;
    this.node = {
      cpus: options.node?.cpus ?? 16,
      cpuModel: options.node?.cpuModel ?? 'Simulated x86_64',
      memoryBytes: options.node?.memoryBytes ?? 64 * 1024 ** 3,
    };
    this.defaultLoad = options.defaultLoad ?? 0.05;
    this.addressPools = options.addressPools ?? {};
    this.hostPath = options.hostPath ?? (p => p);
    for (const d of loadSimulatedDomains(options.stateDir, this.dir))
      this.domains.set(d.spec.name, d);
  }

  private fileOf(name: string) {
    return path.join(this.dir, `${validateName(name, 'domain name')}.json`);
  }

  async nodeInfo(): Promise<NodeInfo> {
    return { ...this.node };
  }

  async define(spec: ResolvedDomainSpec): Promise<void> {
    validateName(spec.name, 'domain name');
    if (this.domains.has(spec.name)) {
      throw new AgentError(
        'DOMAIN_EXISTS',
        `Domain ${spec.name} is already defined`,
      );
    }
    this.domains.set(spec.name, {
      spec: structuredClone(spec),
      state: 'shutoff',
      cpuTimeNs: 0,
      since: Date.now(),
      load: this.defaultLoad,
    });
    await this.save(spec.name);
  }

  async start(name: string): Promise<void> {
    await this.transition(
      name,
      ['shutoff', 'crashed'],
      'running',
      'is already active',
    );
    const d = this.get(name);
    await this.lease(d);
    await writeSimulatedBootLog(d.spec, d.leases);
  }

  /** The simulated display: an in-process RFB server drawing colour bars. */
  async openVnc(name: string): Promise<Duplex> {
    const d = this.get(name);
    if (!['running', 'blocked', 'paused'].includes(d.state))
      throw new AgentError(
        'DOMAIN_STATE_CONFLICT',
        `Domain ${name} is not running (state ${d.state}): it has no display`,
      );
    const [viewer, display] = duplexPair();
    void serveTestFramebuffer(display, {
      name: `Tempest simulated console: ${name}`,
    });
    return viewer;
  }

  async interfaceAddresses(name: string): Promise<NicAddresses[]> {
    const d = this.get(name);
    const active = ['running', 'blocked', 'paused'].includes(d.state);
    return (d.spec.nics ?? []).map(nic => {
      const address = active ? d.leases?.[nic.mac] : undefined;
      return { mac: nic.mac, addresses: address ? [address] : [] };
    });
  }

  /** Gives each NIC without one the first free address of its network's pool. */
  private async lease(d: SimulatedDomain) {
    const taken = new Set(
      [...this.domains.values()].flatMap(o => Object.values(o.leases ?? {})),
    );
    const leases = leaseFromPools(
      d.spec.nics ?? [],
      d.leases,
      this.addressPools,
      taken,
    );
    if (leases === d.leases) return;
    d.leases = leases;
    await this.save(d.spec.name);
  }

  async shutdown(name: string): Promise<void> {
    await this.transition(
      name,
      ['running', 'blocked'],
      'shutoff',
      'is not running',
    );
  }

  async destroy(name: string): Promise<void> {
    await this.transition(
      name,
      ['running', 'blocked', 'paused', 'shutdown', 'pmsuspended'],
      'shutoff',
      'is not running',
    );
  }

  async suspend(name: string): Promise<void> {
    await this.transition(
      name,
      ['running', 'blocked'],
      'paused',
      'is not running',
    );
  }

  async resume(name: string): Promise<void> {
    await this.transition(name, ['paused'], 'running', 'is not paused');
  }

  async undefine(name: string): Promise<void> {
    const domain = this.get(name);
    if (domain.state !== 'shutoff' && domain.state !== 'crashed') {
      throw new AgentError(
        'DOMAIN_STATE_CONFLICT',
        `Domain ${name} must be shut off before it is undefined`,
      );
    }
    this.domains.delete(name);
    await this.save(name);
  }

  async status(name: string): Promise<DomainStatus> {
    return this.toStatus(this.get(name));
  }

  async list(): Promise<DomainStatus[]> {
    return [...this.domains.values()].map(d => this.toStatus(d));
  }

  async cpuTimes(): Promise<Map<string, number>> {
    const now = Date.now();
    const times = new Map<string, number>();
    for (const [name, d] of this.domains) {
      if (d.state === 'shutoff' || d.state === 'crashed') continue;
      times.set(name, d.cpuTimeNs + this.busyNs(d, now));
    }
    return times;
  }

  /**
   * Sends a running guest through the move's sockets (its writable disks'
   * bytes, then its state); it is gone from here once the destination has
   * it, and running here as before when the move fails.
   */
  async moveLive(
    name: string,
    target: LiveMoveTarget,
    options: {
      signal: AbortSignal;
      onProgress(progress: LiveMoveProgress): void;
    },
  ): Promise<LiveMoveResult> {
    const d = this.get(name);
    if (d.state !== 'running' && d.state !== 'blocked')
      throw new AgentError(
        'DOMAIN_NOT_RUNNING',
        `Domain ${name} is not running (state ${d.state}): only a running domain moves live`,
      );
    let paused = false;
    try {
      const result = await sendSimulatedGuest({
        socketDir: this.hostPath(target.socketDir),
        disks: d.spec.disks.filter(k => !k.readOnly).map(k => k.path),
        signal: options.signal,
        onProgress: options.onProgress,
        bandwidthLimitKiBps: target.bandwidthLimitKiBps,
        pause: () => {
          this.settle(d, Date.now());
          d.state = 'paused';
          paused = true;
          return { cpuTimeNs: d.cpuTimeNs, load: d.load, leases: d.leases };
        },
      });
      this.domains.delete(name);
      await this.save(name);
      return result;
    } catch (e) {
      if (paused && this.domains.get(name) === d) {
        d.since = Date.now();
        d.state = 'running';
      }
      throw e;
    }
  }

  /** Listens on the move's sockets; the guest runs here, defined, once its state has come. */
  async receiveLive(
    spec: ResolvedDomainSpec,
    socketDir: string,
  ): Promise<IncomingDomain> {
    validateName(spec.name, 'domain name');
    if (this.domains.has(spec.name))
      throw new AgentError(
        'DOMAIN_EXISTS',
        `Domain ${spec.name} is already defined`,
      );
    return receiveSimulatedGuest({
      dir: this.hostPath(socketDir),
      disks: spec.disks.filter(k => !k.readOnly).map(k => k.path),
      accept: async state => {
        if (this.domains.has(spec.name))
          throw new Error(`domain ${spec.name} is already defined here`);
        this.domains.set(spec.name, {
          spec: structuredClone(spec),
          state: 'running',
          cpuTimeNs: state.cpuTimeNs,
          since: Date.now(),
          load: Math.min(1, Math.max(0, state.load)),
          ...(state.leases ? { leases: state.leases } : {}),
        });
        await this.save(spec.name);
      },
    });
  }

  /** Sets how busy a simulated guest is (0..1 of its vCPUs), to drive load-based scaling. */
  async setLoad(name: string, load: number): Promise<void> {
    const d = this.get(name);
    this.settle(d, Date.now());
    d.load = Math.min(1, Math.max(0, load));
    await this.save(name);
  }

  private busyNs(d: SimulatedDomain, now: number): number {
    return d.state === 'running'
      ? (now - d.since) * 1e6 * d.load * d.spec.vcpus
      : 0;
  }

  private settle(d: SimulatedDomain, now: number) {
    d.cpuTimeNs += this.busyNs(d, now);
    d.since = now;
  }

  private get(name: string): SimulatedDomain {
    validateName(name, 'domain name');
    const d = this.domains.get(name);
    if (!d)
      throw new AgentError('UNKNOWN_DOMAIN', `Domain ${name} is not defined`);
    return d;
  }

  private async transition(
    name: string,
    from: DomainState[],
    to: DomainState,
    problem: string,
  ) {
    const d = this.get(name);
    if (!from.includes(d.state)) {
      throw new AgentError(
        'DOMAIN_STATE_CONFLICT',
        `Domain ${name} ${problem} (state ${d.state})`,
      );
    }
    this.settle(d, Date.now());
    if (to === 'shutoff') d.cpuTimeNs = 0;
    d.state = to;
    await this.save(name);
  }

  private toStatus(d: SimulatedDomain): DomainStatus {
    return {
      name: d.spec.name,
      state: d.state,
      vcpus: d.spec.vcpus,
      memoryMiB: d.spec.memoryMiB,
    };
  }

  /**
   * Writes a domain's file (or removes it once undefined) after the write
   * under way for it, if any, with every change made until then: concurrent
   * changes share one write, and an older state never lands after a newer
   * one. Resolves once a write holding the caller's change is done.
   */
  private save(name: string): Promise<void> {
    let next = this.nextSave.get(name);
    if (!next) {
      const previous = this.saving.get(name);
      const file = this.fileOf(name);
      next = (async () => {
        // The previous write's outcome is its own callers'.
        await Promise.allSettled([previous]);
        this.nextSave.delete(name);
        this.saving.set(name, next!);
        const d = this.domains.get(name);
        try {
          if (d) await writeJsonAtomic(file, d);
          else await fs.promises.rm(file, { force: true });
        } finally {
          if (this.saving.get(name) === next) this.saving.delete(name);
        }
      })();
      this.nextSave.set(name, next);
    }
    return next;
  }
}
