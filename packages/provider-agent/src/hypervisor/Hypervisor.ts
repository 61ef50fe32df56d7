import type { Duplex } from 'node:stream';
import type { AgentApiSchemas } from '../api/apiTypes';
/** Domain states as libvirt names them (virsh domstate), shared by every driver. */
export type DomainState = AgentApiSchemas['DomainStateName'];

export interface DomainDiskSpec {
  /** Absolute path inside the data directory. */
  path: string;
  format: 'qcow2' | 'raw';
  /** Guest device name, e.g. vda. */
  target: string;
  readOnly?: boolean;
  /** The virtio serial the guest reads (tempest-swap, tempest-user, tempest-data). */
  serial?: string;
}

/** A fully resolved domain: every path absolute and already validated. */
export interface ResolvedDomainSpec {
  name: string;
  vcpus: number;
  memoryMiB: number;
  disks: DomainDiskSpec[];
  /** Direct kernel boot, for appliances without a boot loader. */
  kernel?: { path: string; initrdPath?: string; cmdline?: string };
  /** Serial console written to this file. */
  consoleLogPath?: string;
  /** virtio NICs, each on a libvirt network. */
  nics?: ResolvedNic[];
  /** A VNC display on the host's loopback (port chosen by libvirt); off only for drivers or tests that ask. */
  vnc?: boolean;
}

export interface ResolvedNic {
  /** The libvirt network's name. */
  network: string;
  mac: string;
  /** Where the guest's addresses are learned: libvirt's DHCP leases (NAT) or the host's ARP table (bridged). */
  addressSource: 'lease' | 'arp';
}

/** The addresses a running guest holds on one NIC. */
export interface NicAddresses {
  mac: string;
  addresses: string[];
}

export interface DomainStatus {
  name: string;
  state: DomainState;
  vcpus: number;
  memoryMiB: number;
}

export interface NodeInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
}

/**
 * Where a live move goes. The destination hypervisor is reached through
 * sockets on this host that the agents carry to the destination host over
 * their mutual TLS: one for the hypervisor's own calls (libvirt's RPC) and,
 * in `socketDir`, `mem.sock` (memory and state) and `nbd.sock` (the writable
 * disks). `socketDir` is the path as the hypervisors see it, the same string
 * on both hosts.
 */
export interface LiveMoveTarget {
  /** A unix socket (as this agent sees it) reaching the destination hypervisor's RPC; unused by the simulated driver. */
  hypervisorSocket: string;
  socketDir: string;
  /** The domain as the destination resolved it: its paths and networks there. */
  spec: ResolvedDomainSpec;
  /** Bandwidth cap in KiB/s; unlimited when unset. */
  bandwidthLimitKiBps?: number;
}

export interface LiveMoveProgress {
  /** Memory and disk bytes sent so far. */
  bytesDone: number;
  /** Memory and disk bytes to send, as last estimated; null until known. */
  bytesTotal: number | null;
}

export interface LiveMoveResult {
  bytesDone: number;
  /** How long the guest was paused for the switch-over, when the driver knows. */
  downtimeMs: number | null;
}

/** A destination waiting for a domain (live move). */
export interface IncomingDomain {
  /** Resolves once the domain runs here, defined persistently; rejects if it never will. */
  arrived: Promise<void>;
  /**
   * Stops waiting: a half-arrived domain is destroyed and undefined; the
   * sockets go. `arrived` when the domain came before it could be stopped.
   */
  abandon(): Promise<'abandoned' | 'arrived'>;
}

/** Hypervisor driver: libvirt through virsh, or simulated. */
export interface Hypervisor {
  readonly driver: 'libvirt' | 'simulated';
  readonly uri: string;
  nodeInfo(): Promise<NodeInfo>;
  define(spec: ResolvedDomainSpec): Promise<void>;
  start(name: string): Promise<void>;
  /** Asks the guest to shut down (ACPI); returns at once. */
  shutdown(name: string): Promise<void>;
  /** Powers the domain off at once. */
  destroy(name: string): Promise<void>;
  suspend(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** Removes the definition; the domain must be shut off. */
  undefine(name: string): Promise<void>;
  status(name: string): Promise<DomainStatus>;
  list(): Promise<DomainStatus[]>;
  /** Addresses of each NIC of a running domain (none for one that is not running). */
  interfaceAddresses(
    name: string,
    nics: ResolvedNic[],
  ): Promise<NicAddresses[]>;
  /**
   * A byte stream to the VNC display (RFB) of a running or paused domain:
   * libvirt's display on the host's loopback, or the simulated framebuffer.
   */
  openVnc(name: string): Promise<Duplex>;
  /** Cumulative CPU time in nanoseconds of each running or paused domain. */
  cpuTimes(): Promise<Map<string, number>>;
  /**
   * The unix socket of this hypervisor's RPC, which a live move's source
   * reaches through the agents' tunnel (libvirt); undefined when there is none.
   */
  readonly rpcSocket?: string;
  /**
   * Source side of a live move: moves a running domain to the target while
   * it runs; once it resolves the domain runs there and is gone here. A move
   * that fails or is aborted leaves it running here (MIGRATION_FAILED,
   * MIGRATION_CANCELLED). `onProgress` is called at least once a second.
   */
  moveLive(
    name: string,
    target: LiveMoveTarget,
    options: {
      signal: AbortSignal;
      onProgress(progress: LiveMoveProgress): void;
    },
  ): Promise<LiveMoveResult>;
  /** Destination side: gets ready to receive `spec` through the sockets in `socketDir` (as the hypervisor sees it). */
  receiveLive(
    spec: ResolvedDomainSpec,
    socketDir: string,
  ): Promise<IncomingDomain>;
}
