import type { AgentApiSchemas } from '../api/apiTypes';
import fs from 'node:fs/promises';
import path from 'node:path';
import { InstanceDisks } from '../disks/InstanceDisks';
import { AgentError, isAgentError } from '../errors/AgentError';
import {
  Hypervisor,
  DomainState,
  ResolvedDomainSpec,
} from '../hypervisor/Hypervisor';
import { shutdownGracefully } from '../hypervisor/shutdownGracefully';
import { ImageStore } from '../images/ImageStore';
import { readJson, writeJsonAtomic } from '../storage/writeJsonAtomic';
import { resolveInside } from '../validation/dataPath';
import { validateName } from '../validation/names';
import { unlessMissing } from '../storage/unlessMissing';

/** The instance disk (and its seed) to attach, and optionally direct kernel boot from installed `boot` images. */
export type DefineDomainRequest = AgentApiSchemas['DomainSpec'];

interface DomainRecord {
  name: string;
  spec: DefineDomainRequest;
  definedAt: string;
  startedAt?: string;
}

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
  private readonly root: string;

  constructor(
    dataDir: string,
    private readonly hypervisor: Hypervisor,
    private readonly disks: InstanceDisks,
    private readonly images: ImageStore,
  ) {
    this.root = resolveInside(dataDir, 'domains');
  }

  async define(name: string, spec: DefineDomainRequest): Promise<DomainView> {
    validateName(name, 'domain name');
    checkSize(spec);
    if (await this.read(name))
      throw new AgentError(
        'DOMAIN_EXISTS',
        `Domain ${name} is already defined`,
      );
    const disk = await this.disks.require(spec.disk);
    const holder = await this.domainUsingDisk(spec.disk);
    if (holder)
      throw new AgentError(
        'DISK_IN_USE',
        `Disk ${spec.disk} is attached to domain ${holder}`,
      );
    for (const network of spec.networks ?? [])
      validateName(network, 'network name');

    const resolved: ResolvedDomainSpec = {
      name,
      vcpus: spec.vcpus,
      memoryMiB: spec.memoryMiB,
      disks: [{ path: disk.path, format: 'qcow2', target: 'vda' }],
      consoleLogPath: path.join(this.dir(name), 'console.log'),
      networks: spec.networks,
    };
    if (disk.seedPath)
      resolved.disks.push({
        path: disk.seedPath,
        format: 'raw',
        target: 'vdb',
        readOnly: true,
      });
    if (spec.kernel) {
      if (
        spec.kernel.cmdline !== undefined &&
        (spec.kernel.cmdline.length > 1024 ||
          /[\0\n\r]/.test(spec.kernel.cmdline))
      ) {
        throw new AgentError(
          'INVALID_REQUEST',
          'kernel.cmdline must be one line of at most 1024 characters',
        );
      }
      resolved.kernel = {
        path: (await this.images.resolve('boot', spec.kernel.kernel)).path,
        initrdPath: spec.kernel.initrd
          ? (await this.images.resolve('boot', spec.kernel.initrd)).path
          : undefined,
        cmdline: spec.kernel.cmdline,
      };
    }
    await fs.mkdir(this.dir(name), { recursive: true });
    const record: DomainRecord = {
      name,
      spec,
      definedAt: new Date().toISOString(),
    };
    await writeJsonAtomic(this.recordFile(name), record);
    try {
      await this.hypervisor.define(resolved);
    } catch (e) {
      await fs.rm(this.dir(name), { recursive: true, force: true });
      throw e;
    }
    return this.get(name);
  }

  async list(): Promise<DomainView[]> {
    const names = await unlessMissing(fs.readdir(this.root), []);
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
    };
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
    await writeJsonAtomic(this.recordFile(name), record);
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
    await fs.rm(this.dir(name), { recursive: true, force: true });
  }

  /** The tail of the serial console log. */
  async console(name: string, maxBytes = 64 * 1024): Promise<string> {
    await this.require(name);
    const file = path.join(this.dir(name), 'console.log');
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
    const names = await unlessMissing(fs.readdir(this.root), []);
    const result = new Map<string, number>();
    for (const name of names) {
      const record = await this.read(name);
      if (record) result.set(name, record.spec.vcpus);
    }
    return result;
  }

  async domainUsingDisk(disk: string): Promise<string | undefined> {
    const names = await unlessMissing(fs.readdir(this.root), []);
    for (const name of names) {
      if ((await this.read(name))?.spec.disk === disk) return name;
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
        await writeJsonAtomic(this.recordFile(record.name), record);
      }
      return null;
    }
    if (!record.startedAt) {
      // Started outside the agent: count from when we first saw it running.
      record.startedAt = new Date().toISOString();
      await writeJsonAtomic(this.recordFile(record.name), record);
    }
    return Math.max(
      0,
      Math.round((Date.now() - Date.parse(record.startedAt)) / 1000),
    );
  }

  private async markStopped(name: string) {
    const record = await this.require(name);
    delete record.startedAt;
    await writeJsonAtomic(this.recordFile(name), record);
  }

  private async require(name: string): Promise<DomainRecord> {
    const record = await this.read(validateName(name, 'domain name'));
    if (!record)
      throw new AgentError('UNKNOWN_DOMAIN', `No domain named ${name}`);
    return record;
  }

  private read(name: string) {
    return readJson<DomainRecord>(this.recordFile(name));
  }

  private dir(name: string) {
    return resolveInside(this.root, validateName(name, 'domain name'));
  }

  private recordFile(name: string) {
    return path.join(this.dir(name), 'domain.json');
  }
}

function checkSize(spec: DefineDomainRequest) {
  if (!Number.isInteger(spec?.vcpus) || spec.vcpus < 1 || spec.vcpus > 256) {
    throw new AgentError(
      'INVALID_REQUEST',
      'vcpus must be a whole number from 1 to 256',
    );
  }
  if (
    !Number.isInteger(spec.memoryMiB) ||
    spec.memoryMiB < 16 ||
    spec.memoryMiB > 4 * 1024 * 1024
  ) {
    throw new AgentError(
      'INVALID_REQUEST',
      'memoryMiB must be a whole number from 16 to 4194304',
    );
  }
}
