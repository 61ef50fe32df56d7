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
}
