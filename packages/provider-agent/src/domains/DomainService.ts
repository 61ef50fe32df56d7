import type { AgentApiSchemas } from '../api/apiTypes';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InstanceDisks } from '../disks/InstanceDisks';
import { AgentError, isAgentError } from '../errors/AgentError';
import type { AgentNetwork } from '../config/AgentConfig';
import {
  Hypervisor,
  DomainState,
  ResolvedDomainSpec,
} from '../hypervisor/Hypervisor';
import { shutdownGracefully } from '../hypervisor/shutdownGracefully';
import { ImageStore } from '../images/ImageStore';
import { checkDomainSize } from './checkDomainSize';
import { resolveDomainSpec, resolveNic } from './resolveDomainSpec';
import { DomainRecord, DomainRecords } from './DomainRecords';
import { validateName } from '../validation/names';
import { unlessMissing } from '../storage/unlessMissing';

/** The instance disk (and its seed) to attach, and optionally direct kernel boot from installed `boot` images. */
export type DefineDomainRequest = AgentApiSchemas['DomainSpec'];

export type DomainView = AgentApiSchemas['Domain'];

const ACTIVE: DomainState[] = [
  'running',
  'blocked',
  'paused',
  'shutdown',
  'pmsuspended',
];

/** Domains this agent defined: typed specs in, libvirt (or simulated) domains out. */
export class DomainService {
  private readonly records: DomainRecords;
  /** Domains on their way here (live migration), by name: the disk each will use. */
  private readonly incoming = new Map<string, string>();

  constructor(
    dataDir: string,
    private readonly hypervisor: Hypervisor,
    private readonly disks: InstanceDisks,
    private readonly images: ImageStore,
    private readonly networks: AgentNetwork[] = [],
  ) {
    this.records = new DomainRecords(dataDir);
  }

  async define(name: string, spec: DefineDomainRequest): Promise<DomainView> {
    validateName(name, 'domain name');
    checkDomainSize(spec);
    if ((await this.records.read(name)) || this.incoming.has(name))
      throw new AgentError(
        'DOMAIN_EXISTS',
        `Domain ${name} is already defined`,
      );
    await this.disks.require(spec.disk);
    const holder = await this.domainUsingDisk(spec.disk);
    if (holder)
      throw new AgentError(
        'DISK_IN_USE',
        `Disk ${spec.disk} is attached to domain ${holder}`,
      );
    const resolved = await this.resolve(name, spec);
    const record: DomainRecord = {
      name,
      spec,
      definedAt: new Date().toISOString(),
    };
    await this.records.write(record);
    try {
      await this.hypervisor.define(resolved);
    } catch (e) {
      await this.records.remove(name);
      throw e;
    }
    return this.get(name);
  }

  async list(): Promise<DomainView[]> {
    const names = await this.records.names();
    const views: DomainView[] = [];
    for (const name of names.sort()) {
      try {
        views.push(await this.get(name));
      } catch (e) {
        if (!isAgentError(e, 'UNKNOWN_DOMAIN')) throw e;
      }
    }
    return views;
  }

  async get(name: string): Promise<DomainView> {
    const record = await this.require(name);
    const { state } = await this.hypervisor.status(name);
    return {
      name,
      state,
      uptimeSeconds: await this.uptime(record, state),
      spec: record.spec,
      definedAt: record.definedAt,
      interfaces: await this.interfaces(record, state),
    };
  }

  /** Each NIC with the addresses its guest holds now. */
  private async interfaces(record: DomainRecord, state: DomainState) {
    const nics = record.spec.nics ?? [];
    if (!nics.length) return [];
    let held = new Map<string, string[]>();
    if (ACTIVE.includes(state)) {
      try {
        const resolved = nics.map(n => resolveNic(this.networks, n));
        held = new Map(
          (await this.hypervisor.interfaceAddresses(record.name, resolved)).map(
            a => [a.mac, a.addresses],
          ),
        );
      } catch {
        // An address that cannot be read now is unknown, not a failed request.
        held = new Map();
      }
    }
    // A guest moved here live keeps its address until it renews its lease; nothing here may know it yet.
    const carried = (mac: string) =>
      ACTIVE.includes(state)
        ? (record.carriedAddresses?.find(c => c.mac === mac)?.addresses ?? [])
        : [];
    return nics.map(n => {
      const addresses = held.get(n.mac) ?? [];
      return {
        network: n.network,
        mac: n.mac,
        addresses: addresses.length ? addresses : carried(n.mac),
      };
    });
  }

  /**
   * Holds a name for a domain arriving by live migration: no define takes it,
   * its disk counts as in use, and the folder for its console log is made.
   * Returns how the domain resolves here, and the release.
   */
  async reserveIncoming(
    name: string,
    spec: DefineDomainRequest,
    taken: () => Promise<boolean>,
  ): Promise<{ resolved: ResolvedDomainSpec; release(): void }> {
    validateName(name, 'domain name');
    checkDomainSize(spec);
    if (
      (await this.records.read(name)) ||
      this.incoming.has(name) ||
      (await taken())
    )
      throw new AgentError(
        'DOMAIN_EXISTS',
        `Domain ${name} is already here (defined or on its way)`,
      );
    await this.disks.require(spec.disk);
    const holder = await this.domainUsingDisk(spec.disk);
    if (holder)
      throw new AgentError(
        'DISK_IN_USE',
        `Disk ${spec.disk} is attached to domain ${holder}`,
      );
    const resolved = await this.resolve(name, spec);
    this.incoming.set(name, spec.disk);
    return { resolved, release: () => this.incoming.delete(name) };
  }

  /** Makes the folder of a domain's record and console log (a live migration's guest writes the log before it arrives). */
  async prepareFolder(name: string) {
    await fs.mkdir(this.records.dir(name), { recursive: true });
  }

  /** Removes what a live migration that never arrived left of a domain (its folder); never a recorded domain's. */
  async removeUnarrived(name: string) {
    if (!(await this.records.read(name))) await this.records.remove(name);
  }

  /** Records a domain that arrived running (live migration), with the addresses its guest kept. */
  async adoptArrived(
    name: string,
    spec: DefineDomainRequest,
    carriedAddresses?: DomainRecord['carriedAddresses'],
  ) {
    const now = new Date().toISOString();
    await this.records.write({
      name,
      spec,
      definedAt: now,
      startedAt: now,
      ...(carriedAddresses?.length ? { carriedAddresses } : {}),
    });
  }

  /** Forgets a domain that moved to another host running: the hypervisor here has undefined it. */
  async forgetMoved(name: string) {
    await this.records.remove(validateName(name, 'domain name'));
  }

  /** How a domain spec resolves on this host: its disks' paths, console log, boot images and NICs. */
  resolve(
    name: string,
    spec: DefineDomainRequest,
  ): Promise<ResolvedDomainSpec> {
    return resolveDomainSpec(
      {
        disks: this.disks,
        images: this.images,
        networks: this.networks,
        records: this.records,
      },
      name,
      spec,
    );
  }

  /** State and uptime only: STORM's get_virt_uptime. */
  async state(name: string) {
    const record = await this.require(name);
    const { state } = await this.hypervisor.status(name);
    return { name, state, uptimeSeconds: await this.uptime(record, state) };
  }

  async start(name: string) {
    const record = await this.require(name);
    await this.hypervisor.start(name);
    record.startedAt = new Date().toISOString();
    // A new run asks DHCP afresh: addresses carried by a live move are over.
    delete record.carriedAddresses;
    await this.records.write(record);
    return this.state(name);
  }

  async shutdown(name: string, timeoutSeconds = 60) {
    await this.require(name);
    const { forced } = await shutdownGracefully(
      this.hypervisor,
      name,
      timeoutSeconds * 1000,
    );
    await this.markStopped(name);
    return { ...(await this.state(name)), forced };
  }

  async destroy(name: string) {
    await this.require(name);
    await this.hypervisor.destroy(name);
    await this.markStopped(name);
    return this.state(name);
  }

  async suspend(name: string) {
    await this.require(name);
    await this.hypervisor.suspend(name);
    return this.state(name);
  }

  async resume(name: string) {
    await this.require(name);
    await this.hypervisor.resume(name);
    return this.state(name);
  }

  async undefine(name: string): Promise<void> {
    await this.require(name);
    try {
      await this.hypervisor.undefine(name);
    } catch (e) {
      // A definition the hypervisor already lost is still ours to forget.
      if (!isAgentError(e, 'UNKNOWN_DOMAIN')) throw e;
    }
    await this.records.remove(name);
  }

  /** A byte stream to the domain's VNC display (RFB), for the console proxy. */
  async openVnc(name: string) {
    await this.require(name);
    return this.hypervisor.openVnc(name);
  }

  /** The tail of the serial console log. */
  async console(name: string, maxBytes = 64 * 1024): Promise<string> {
    await this.require(name);
    const file = path.join(this.records.dir(name), 'console.log');
    const handle = await unlessMissing(fs.open(file, 'r'), undefined);
    if (!handle) return '';
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, maxBytes);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  }

  async vcpus(): Promise<Map<string, number>> {
    const names = await this.records.names();
    const result = new Map<string, number>();
    for (const name of names) {
      const record = await this.records.read(name);
      if (record) result.set(name, record.spec.vcpus);
    }
    return result;
  }

  async domainUsingDisk(disk: string): Promise<string | undefined> {
    for (const [name, used] of this.incoming) if (used === disk) return name;
    const names = await this.records.names();
    for (const name of names) {
      if ((await this.records.read(name))?.spec.disk === disk) return name;
    }
    return undefined;
  }

  private async uptime(
    record: DomainRecord,
    state: DomainState,
  ): Promise<number | null> {
    if (!ACTIVE.includes(state)) {
      if (record.startedAt) {
        // It stopped on its own (guest power-off); the next start counts afresh.
        delete record.startedAt;
        await this.records.write(record);
      }
      return null;
    }
    if (!record.startedAt) {
      // Started outside the agent: count from when we first saw it running.
      record.startedAt = new Date().toISOString();
      await this.records.write(record);
    }
    return Math.max(
      0,
      Math.round((Date.now() - Date.parse(record.startedAt)) / 1000),
    );
  }

  private async markStopped(name: string) {
    const record = await this.require(name);
    delete record.startedAt;
    delete record.carriedAddresses;
    await this.records.write(record);
  }

  private async require(name: string): Promise<DomainRecord> {
    const record = await this.records.read(validateName(name, 'domain name'));
    if (!record)
      throw new AgentError('UNKNOWN_DOMAIN', `No domain named ${name}`);
    return record;
  }
}
