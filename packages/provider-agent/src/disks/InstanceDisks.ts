import type { AgentApiSchemas } from '../api/apiTypes';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AgentError } from '../errors/AgentError';
import { ImageStore } from '../images/ImageStore';
import { SeedBuilder, SeedConfig } from '../seed/SeedBuilder';
import { validateSeedConfig } from '../seed/seedFiles';
import { readJson, writeJsonAtomic } from '../storage/writeJsonAtomic';
import { resolveInside } from '../validation/dataPath';
import { validateName } from '../validation/names';
import { DiskStore, LayerInfo } from './DiskStore';
import { unlessMissing } from '../storage/unlessMissing';
import { cleanUpAfter } from '../errors/cleanUpAfter';
import {
  checkDiskSize,
  checkImportedRecord,
  checkVolumeRequest,
} from './checkDiskRequests';

export type CreateDiskRequest = AgentApiSchemas['CreateDiskRequest'];
export type VolumeRequest = AgentApiSchemas['VolumeRequest'];
export type Volume = AgentApiSchemas['Volume'];

const MAX_VOLUMES = 8;

/** What the agent keeps about a disk; its layer paths run instance first, OS last. */
export type DiskRecord = Omit<AgentApiSchemas['Disk'], 'layers' | 'seed'> & {
  seed?: SeedConfig;
};

export type DiskView = DiskRecord & { layers: LayerInfo[] };

/** Instance disks: OS → appliance → deployment → instance, plus a cloud-init seed. */
export class InstanceDisks {
  private readonly root: string;
  private readonly deploymentsRoot: string;
  private readonly creating = new Set<string>();
  private volumeLock: Promise<unknown> = Promise.resolve();
  private deploymentLock: Promise<unknown> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly diskStore: DiskStore,
    private readonly seedBuilder: SeedBuilder,
    private readonly images: () => ImageStore,
    private readonly diskInUse: (name: string) => Promise<string | undefined>,
  ) {
    this.root = resolveInside(dataDir, 'disks');
    this.deploymentsRoot = resolveInside(dataDir, 'deployments');
  }

  async create(request: CreateDiskRequest): Promise<DiskView> {
    const name = validateName(request.name, 'disk name');
    validateName(request.appliance, 'appliance name');
    const deployment = validateName(
      request.deployment ?? 'default',
      'deployment name',
    );
    checkDiskSize(request.sizeGiB);
    if (this.creating.has(name) || (await this.read(name))) {
      throw new AgentError('DISK_EXISTS', `Disk ${name} already exists`);
    }
    // Everything the request says is checked before anything is written.
    const seed: SeedConfig | undefined =
      request.seed &&
      validateSeedConfig({
        ...request.seed,
        instanceId: name,
        hostname: request.seed.hostname ?? name,
      });
    this.creating.add(name);
    const dir = this.dir(name);
    let newDeployment: { file: string; dir?: string } | undefined;
    try {
      const appliance = await this.images().resolve(
        'appliance',
        request.appliance,
      );
      const ensured = await this.ensureDeployment(
        request.appliance,
        appliance,
        deployment,
      );
      if (ensured.created) newDeployment = ensured.created;
      const deploymentPath = ensured.file;
      await fs.mkdir(dir, { recursive: true });
      const diskPath = path.join(dir, 'disk.qcow2');
      await this.diskStore.createOverlay(diskPath, deploymentPath, {
        sizeBytes: request.sizeGiB ? request.sizeGiB * 1024 ** 3 : undefined,
      });
      const seedPath = seed ? path.join(dir, 'seed.iso') : undefined;
      if (seed) await this.seedBuilder.build(seedPath!, seed);
      const layers = await this.diskStore.chain(diskPath);
      const record: DiskRecord = {
        name,
        appliance: { name: request.appliance, version: appliance.version },
        deployment,
        path: diskPath,
        ...(seedPath ? { seedPath, seed } : {}),
        chain: layers.map(l => l.path),
        createdAt: new Date().toISOString(),
      };
      await writeJsonAtomic(path.join(dir, 'disk.json'), record);
      return { ...record, layers };
    } catch (e) {
      return await cleanUpAfter(e, async () => {
        await this.diskStore.remove(path.join(dir, 'disk.qcow2'));
        await fs.rm(dir, { recursive: true, force: true });
        // A deployment layer made for this disk goes too, unless another disk took it meanwhile.
        if (
          newDeployment &&
          !(await this.layersInUse()).has(newDeployment.file)
        ) {
          await this.diskStore.remove(newDeployment.file);
          if (newDeployment.dir)
            await fs.rm(newDeployment.dir, { recursive: true, force: true });
        }
      });
    } finally {
      this.creating.delete(name);
    }
  }

  /**
   * Adds a blank volume to an instance disk (before its domain is defined):
   * the same volume again is answered as it is (`created` false), another
   * role or size under its name is DISK_EXISTS.
   */
  createVolume(
    diskName: string,
    volumeName: string,
    request: VolumeRequest,
  ): Promise<{ volume: Volume; created: boolean }> {
    validateName(diskName, 'disk name');
    validateName(volumeName, 'volume name');
    checkVolumeRequest(request);
    // Serialised: two volumes written at once would lose one from disk.json.
    const run = this.volumeLock.then(async () => {
      const record = await this.require(diskName);
      const volumes = record.volumes ?? [];
      const existing = volumes.find(v => v.name === volumeName);
      if (existing) {
        if (
          existing.role === request.role &&
          existing.sizeMiB === request.sizeMiB
        )
          return { volume: existing, created: false };
        throw new AgentError(
          'DISK_EXISTS',
          `Disk ${diskName} already has a volume ${volumeName} (${existing.role}, ${existing.sizeMiB} MiB)`,
        );
      }
      if (volumes.length >= MAX_VOLUMES)
        throw new AgentError(
          'INVALID_REQUEST',
          `Disk ${diskName} has ${MAX_VOLUMES} volumes already`,
        );
      const domain = await this.diskInUse(diskName);
      if (domain)
        throw new AgentError(
          'DISK_IN_USE',
          `Disk ${diskName} is attached to domain ${domain}; volumes are added before the domain is defined`,
        );
      const volume: Volume = {
        name: volumeName,
        role: request.role,
        sizeMiB: request.sizeMiB,
        path: path.join(this.dir(diskName), `volume-${volumeName}.qcow2`),
        serial: `tempest-${request.role}`,
      };
      await this.diskStore.createBlank(
        volume.path,
        request.sizeMiB * 1024 ** 2,
      );
      try {
        await writeJsonAtomic(path.join(this.dir(diskName), 'disk.json'), {
          ...record,
          volumes: [...volumes, volume],
        });
      } catch (e) {
        return cleanUpAfter(e, () => this.diskStore.remove(volume.path));
      }
      return { volume, created: true };
    });
    this.volumeLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async get(name: string): Promise<DiskView> {
    const record = await this.require(name);
    return { ...record, layers: await this.diskStore.chain(record.path) };
  }

  async list(): Promise<DiskRecord[]> {
    const names = await unlessMissing(fs.readdir(this.root), []);
    const records = await Promise.all(names.sort().map(n => this.read(n)));
    return records.filter((r): r is DiskRecord => !!r);
  }

  async require(name: string): Promise<DiskRecord> {
    const record = await this.read(validateName(name, 'disk name'));
    if (!record) throw new AgentError('UNKNOWN_DISK', `No disk named ${name}`);
    return record;
  }

  async remove(name: string): Promise<void> {
    const record = await this.require(name);
    const domain = await this.diskInUse(name);
    if (domain)
      throw new AgentError(
        'DISK_IN_USE',
        `Disk ${name} is attached to domain ${domain}`,
      );
    for (const volume of record.volumes ?? [])
      await this.diskStore.remove(volume.path);
    await this.diskStore.remove(record.path);
    await fs.rm(this.dir(name), { recursive: true, force: true });
    // The deployment layer goes with its last instance.
    const deploymentPath = record.chain[1];
    if (deploymentPath && !(await this.layersInUse()).has(deploymentPath)) {
      await this.diskStore.remove(deploymentPath);
    }
  }

  /**
   * Holds a disk name while the disk arrives from another host, so no create
   * or second import takes it meanwhile; DISK_EXISTS when it is taken.
   */
  async reserve(name: string): Promise<() => void> {
    validateName(name, 'disk name');
    if (this.creating.has(name) || (await this.read(name)))
      throw new AgentError('DISK_EXISTS', `Disk ${name} already exists here`);
    this.creating.add(name);
    return () => this.creating.delete(name);
  }

  /**
   * Places a disk that arrived from another host (migration): `staged` holds
   * its export's files (disk.qcow2, deployment.qcow2, seed.iso,
   * volume-<name>.qcow2) and `source` is its record there. The deployment
   * layer is kept unless this host has it already; every layer is pointed at
   * this host's own layers and the record is written with this host's paths.
   * On failure nothing it placed stays. The caller holds the name (reserve).
   */
  async placeImported(
    name: string,
    staged: string,
    source: DiskRecord,
    applianceLayer: string,
    /** For a live export: its writable layers are made here, empty, with the instance layer's virtual size. */
    live?: { instanceVirtualSizeBytes: number },
  ): Promise<DiskView> {
    const { applianceName, version, deployment, volumes, seed } =
      checkImportedRecord(name, source, live);
    const dir = this.dir(name);
    const from = (file: string) => resolveInside(staged, file);
    const deploymentFile = resolveInside(
      this.deploymentsRoot,
      applianceName,
      version,
      `${deployment}.qcow2`,
    );
    const placed: string[] = [];
    let newDeployment = false;
    try {
      // Serialised with ensureDeployment: one deployment layer per appliance version and name.
      const run = this.deploymentLock.then(async () => {
        const exists = await unlessMissing(
          fs.stat(deploymentFile).then(() => true),
          false,
        );
        // The agent never writes into a deployment layer, so the one here serves as well.
        if (exists) return;
        await fs.mkdir(path.dirname(deploymentFile), { recursive: true });
        await fs.rename(from('deployment.qcow2'), deploymentFile);
        newDeployment = true;
        await this.diskStore.adoptLayer(deploymentFile, applianceLayer);
      });
      this.deploymentLock = run.then(
        () => undefined,
        () => undefined,
      );
      await run;
      await fs.mkdir(dir, { recursive: true });
      const diskPath = path.join(dir, 'disk.qcow2');
      placed.push(diskPath);
      if (live) {
        // A live migration fills the writable layers; here they start empty.
        await this.diskStore.createOverlay(diskPath, deploymentFile, {
          sizeBytes: live.instanceVirtualSizeBytes,
        });
      } else {
        await fs.rename(from('disk.qcow2'), diskPath);
        await this.diskStore.adoptLayer(diskPath, deploymentFile);
      }
      let seedPath: string | undefined;
      if (source.seedPath) {
        seedPath = path.join(dir, 'seed.iso');
        await fs.rename(from('seed.iso'), seedPath);
      }
      const placedVolumes: Volume[] = [];
      for (const volume of volumes) {
        const file = path.join(dir, `volume-${volume.name}.qcow2`);
        placed.push(file);
        if (live)
          await this.diskStore.createBlank(file, volume.sizeMiB * 1024 ** 2);
        else {
          await fs.rename(from(`volume-${volume.name}.qcow2`), file);
          await this.diskStore.adoptLayer(file);
        }
        placedVolumes.push({ ...volume, path: file });
      }
      const layers = await this.diskStore.chain(diskPath);
      const record: DiskRecord = {
        name,
        appliance: { name: applianceName, version },
        deployment,
        path: diskPath,
        ...(seedPath ? { seedPath, ...(seed ? { seed } : {}) } : {}),
        ...(placedVolumes.length ? { volumes: placedVolumes } : {}),
        chain: layers.map(l => l.path),
        createdAt: source.createdAt,
      };
      await writeJsonAtomic(path.join(dir, 'disk.json'), record);
      return { ...record, layers };
    } catch (e) {
      return await cleanUpAfter(e, async () => {
        for (const file of placed) await this.diskStore.remove(file);
        await fs.rm(dir, { recursive: true, force: true });
        if (newDeployment && !(await this.layersInUse()).has(deploymentFile))
          await this.diskStore.remove(deploymentFile);
      });
    }
  }

  /** The virtual size of a disk's instance layer. */
  async virtualSize(record: DiskRecord): Promise<number> {
    return (await this.diskStore.chain(record.path))[0].virtualSizeBytes;
  }

  /** Every layer below an instance disk: what image removal must not touch. */
  async layersInUse(): Promise<Set<string>> {
    const used = new Set<string>();
    for (const record of await this.list())
      for (const layer of record.chain.slice(1)) used.add(layer);
    return used;
  }

  /** The deployment layer, made if missing (then `created` says what was made). */
  private ensureDeployment(
    applianceName: string,
    appliance: { path: string; version: string },
    deployment: string,
  ): Promise<{ file: string; created?: { file: string; dir?: string } }> {
    const file = resolveInside(
      this.deploymentsRoot,
      applianceName,
      appliance.version,
      `${deployment}.qcow2`,
    );
    // Serialised so concurrent first instances share one deployment layer.
    const run = this.deploymentLock.then(async () => {
      const exists = await unlessMissing(
        fs.stat(file).then(() => true),
        false,
      );
      if (exists) return { file };
      const dir = await fs.mkdir(path.dirname(file), { recursive: true });
      await this.diskStore.createOverlay(file, appliance.path);
      return { file, created: { file, dir } };
    });
    // The next caller waits for this one either way; its failure reaches its caller through `run`.
    this.deploymentLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private dir(name: string) {
    return resolveInside(this.root, name);
  }

  private read(name: string) {
    return readJson<DiskRecord>(path.join(this.dir(name), 'disk.json'));
  }
}
