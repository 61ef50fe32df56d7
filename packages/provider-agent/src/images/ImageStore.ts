import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { DiskStore } from '../disks/DiskStore';
import { AgentError, fromFsError, isAgentError } from '../errors/AgentError';
import { readJson, writeJsonAtomic } from '../storage/writeJsonAtomic';
import { resolveInside } from '../validation/dataPath';
import { validateName, validateVersion } from '../validation/names';
import { Download, DownloadView } from './Download';
import { fetchText, fetchToFile } from './fetchToFile';
import {
  readPublicKeys,
  sha256File,
  verifyDetachedSignature,
} from './verifyImage';

export const IMAGE_KINDS = ['os', 'appliance', 'boot'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

export interface InstallImageRequest {
  version: string;
  url: string;
  /** Hex SHA-256 of the image as published. */
  sha256: string;
  /** Detached armored signature, inline or at a URL. */
  signature?: string;
  signatureUrl?: string;
  /** Armored OpenPGP public keys trusted for this image. */
  publicKeys: string[];
  /** For an appliance: the OS image it layers on. */
  os?: string;
}

interface VersionRecord {
  version: string;
  file: string;
  sha256: string;
  /** The file's hash after it was adopted (an appliance is pointed at its OS layer). */
  fileSha256: string;
  sizeBytes: number;
  url: string;
  installedAt: string;
  os?: { name: string; version: string };
}

interface ImageRecord {
  kind: ImageKind;
  name: string;
  current: string;
  versions: Record<string, VersionRecord>;
}

export interface ImageView {
  kind: ImageKind;
  name: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  url: string;
  installedAt: string;
  os?: { name: string; version: string };
  /** Every version still on disk (older ones stay while disks use them). */
  versions: string[];
}

export interface ImageStoreOptions {
  dataDir: string;
  diskStore: DiskStore;
  logger: Logger;
  stallTimeoutMs: number;
  freeBytes(): Promise<number>;
  /** Paths of image files that disks or deployment layers sit on. */
  layersInUse(): Promise<Set<string>>;
}

const MAX_HISTORY = 100;

/** OS, appliance and boot images: streamed downloads, verified, adopted as layers. */
export class ImageStore {
  private readonly root: string;
  private readonly partialDir: string;
  private readonly active = new Map<string, Download>();
  private readonly history = new Map<string, Download>();

  constructor(private readonly options: ImageStoreOptions) {
    this.root = resolveInside(options.dataDir, 'images');
    this.partialDir = resolveInside(this.root, '.partial');
  }

  /** Clears partial files a crash may have left behind. */
  async init(): Promise<void> {
    await fs.rm(this.partialDir, { recursive: true, force: true });
    await fs.mkdir(this.partialDir, { recursive: true });
  }

  async list(): Promise<ImageView[]> {
    const views: ImageView[] = [];
    for (const kind of IMAGE_KINDS) {
      const names = await fs
        .readdir(path.join(this.root, kind))
        .catch(() => [] as string[]);
      for (const name of names.sort()) {
        const record = await this.read(kind, name);
        if (record) views.push(toView(record));
      }
    }
    return views;
  }

  async get(kind: ImageKind, name: string): Promise<ImageView> {
    return toView(await this.require(kind, name));
  }

  /** The absolute path of an installed image's current version. */
  async resolve(
    kind: ImageKind,
    name: string,
  ): Promise<{ path: string; version: string }> {
    const record = await this.require(kind, name);
    return {
      path: this.file(kind, name, record.versions[record.current].file),
      version: record.current,
    };
  }

  async install(kind: ImageKind, name: string, request: InstallImageRequest) {
    this.validate(kind, name, request);
    this.refuseIfDownloading(kind, name);
    const record = await this.read(kind, name);
    if (record) {
      const current = record.versions[record.current];
      if (
        record.current === request.version &&
        current.sha256 === request.sha256.toLowerCase()
      ) {
        return { status: 'installed' as const, image: toView(record) };
      }
      throw new AgentError(
        'IMAGE_EXISTS',
        `${kind} image ${name} is installed at version ${record.current}; upgrade it instead`,
      );
    }
    return {
      status: 'downloading' as const,
      download: await this.start(kind, name, request),
    };
  }

  async upgrade(
    kind: ImageKind,
    name: string,
    request: InstallImageRequest,
  ): Promise<DownloadView> {
    this.validate(kind, name, request);
    this.refuseIfDownloading(kind, name);
    const record = await this.require(kind, name);
    if (record.versions[request.version]) {
      throw new AgentError(
        'IMAGE_EXISTS',
        `${kind} image ${name} already holds version ${request.version}`,
      );
    }
    return this.start(kind, name, request);
  }

  /** Re-hashes the installed file: STORM's app_check / os_check. */
  async check(kind: ImageKind, name: string) {
    validateName(name, 'image name');
    const record = await this.read(kind, name);
    if (!record)
      return {
        installed: false as const,
        downloading: this.active.has(`${kind}/${name}`),
      };
    const current = record.versions[record.current];
    const actual = await sha256File(this.file(kind, name, current.file)).catch(
      () => undefined,
    );
    return {
      installed: true as const,
      downloading: this.active.has(`${kind}/${name}`),
      version: record.current,
      intact: actual === current.fileSha256,
    };
  }

  async remove(kind: ImageKind, name: string): Promise<void> {
    validateName(name, 'image name');
    this.refuseIfDownloading(kind, name);
    const record = await this.require(kind, name);
    const inUse = await this.usedPaths();
    for (const v of Object.values(record.versions)) {
      if (inUse.has(this.file(kind, name, v.file))) {
        throw new AgentError(
          'IMAGE_IN_USE',
          `${kind} image ${name} ${v.version} is used by a disk or another image`,
        );
      }
    }
    for (const v of Object.values(record.versions)) {
      if (kind !== 'boot')
        await this.options.diskStore.remove(this.file(kind, name, v.file));
    }
    await fs.rm(this.dir(kind, name), { recursive: true, force: true });
  }

  downloads(): DownloadView[] {
    return [...this.history.values()].map(d => d.view());
  }

  download(id: string): DownloadView {
    const d = this.history.get(id);
    if (!d) throw new AgentError('UNKNOWN_DOWNLOAD', `No download ${id}`);
    return d.view();
  }

  async cancel(id: string): Promise<DownloadView> {
    const d = this.history.get(id);
    if (!d) throw new AgentError('UNKNOWN_DOWNLOAD', `No download ${id}`);
    d.controller.abort();
    await d.done;
    return d.view();
  }

  /** Cancels running downloads and waits until their partial files are gone. */
  async close(): Promise<void> {
    const running = [...this.active.values()];
    for (const d of running) d.controller.abort();
    await Promise.all(running.map(d => d.done));
  }

  private validate(
    kind: ImageKind,
    name: string,
    request: InstallImageRequest,
  ) {
    if (!IMAGE_KINDS.includes(kind))
      throw new AgentError('INVALID_REQUEST', `Unknown image kind ${kind}`);
    validateName(name, 'image name');
    validateVersion(request.version);
    if (!/^[0-9a-fA-F]{64}$/.test(request.sha256 ?? '')) {
      throw new AgentError('INVALID_REQUEST', 'sha256 must be 64 hex digits');
    }
    if (!request.signature && !request.signatureUrl) {
      throw new AgentError(
        'INVALID_REQUEST',
        'A detached signature (signature or signatureUrl) is required',
      );
    }
    if (!request.publicKeys?.length)
      throw new AgentError(
        'INVALID_REQUEST',
        'At least one public key is required',
      );
    if (kind === 'appliance') validateName(request.os, 'OS image name');
    else if (request.os)
      throw new AgentError(
        'INVALID_REQUEST',
        'Only an appliance image layers on an OS image',
      );
  }

  private refuseIfDownloading(kind: ImageKind, name: string) {
    if (this.active.has(`${kind}/${name}`)) {
      throw new AgentError(
        'DOWNLOAD_IN_PROGRESS',
        `${kind} image ${name} is being downloaded`,
      );
    }
  }

  private async start(
    kind: ImageKind,
    name: string,
    request: InstallImageRequest,
  ): Promise<DownloadView> {
    // Resolve the OS layer first so an appliance over a missing OS fails before any byte moves.
    const os =
      kind === 'appliance' ? await this.resolve('os', request.os!) : undefined;
    await readPublicKeys(request.publicKeys);
    const download = new Download(kind, name, request.version, request.url);
    const key = `${kind}/${name}`;
    this.active.set(key, download);
    this.remember(download);
    download.done = this.run(
      download,
      kind,
      name,
      request,
      os && { name: request.os!, ...os },
    ).finally(() => this.active.delete(key));
    return download.view();
  }

  private async run(
    download: Download,
    kind: ImageKind,
    name: string,
    request: InstallImageRequest,
    os?: { name: string; version: string; path: string },
  ): Promise<void> {
    const log = this.options.logger.child({
      download: download.id,
      kind,
      image: name,
      version: request.version,
    });
    const signal = download.controller.signal;
    const part = path.join(this.partialDir, `${download.id}.part`);
    const file = this.file(
      kind,
      name,
      `${request.version}.${kind === 'boot' ? 'bin' : 'qcow2'}`,
    );
    let placed = false;
    log.info({ url: request.url }, 'download started');
    try {
      const { sha256 } = await fetchToFile(download, part, {
        stallTimeoutMs: this.options.stallTimeoutMs,
        freeBytes: this.options.freeBytes,
        signal,
      });
      download.state = 'verifying';
      if (sha256 !== request.sha256.toLowerCase()) {
        throw new AgentError(
          'CHECKSUM_MISMATCH',
          `SHA-256 is ${sha256}, expected ${request.sha256.toLowerCase()}`,
        );
      }
      const signature =
        request.signature ??
        (await fetchText(request.signatureUrl!, {
          stallTimeoutMs: this.options.stallTimeoutMs,
          signal,
        }));
      await verifyDetachedSignature(part, signature, request.publicKeys);
      if (signal.aborted)
        throw new AgentError(
          'DOWNLOAD_CANCELLED',
          'The download was cancelled',
        );

      download.state = 'installing';
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.rename(part, file);
      placed = true;
      let fileSha256 = sha256;
      if (kind !== 'boot') {
        await this.options.diskStore.adoptImage(file, {
          backingPath: os?.path,
        });
        if (os) fileSha256 = await sha256File(file);
      }
      const sizeBytes = (await fs.stat(file)).size;
      const previous = await this.read(kind, name);
      const record: ImageRecord = previous ?? {
        kind,
        name,
        current: request.version,
        versions: {},
      };
      record.versions[request.version] = {
        version: request.version,
        file: path.basename(file),
        sha256,
        fileSha256,
        sizeBytes,
        url: request.url,
        installedAt: new Date().toISOString(),
        ...(os ? { os: { name: os.name, version: os.version } } : {}),
      };
      record.current = request.version;
      await writeJsonAtomic(
        path.join(this.dir(kind, name), 'image.json'),
        record,
      );
      await this.pruneOldVersions(record);
      download.finish('done');
      log.info({ bytes: download.receivedBytes }, 'image installed');
    } catch (e) {
      const error = isAgentError(e) ? e : fromFsError(e, 'the image');
      await fs.rm(part, { force: true });
      if (placed) {
        await this.options.diskStore.remove(file).catch(() => undefined);
        await fs.rm(file, { force: true });
      }
      download.finish(
        error.code === 'DOWNLOAD_CANCELLED' ? 'cancelled' : 'failed',
        {
          code: error.code,
          message: error.message,
        },
      );
      log.warn(
        { code: error.code, err: error.message },
        'download did not install',
      );
    }
  }

  /** Drops versions other than the current one that no disk still sits on. */
  private async pruneOldVersions(record: ImageRecord) {
    const inUse = await this.usedPaths();
    let changed = false;
    for (const v of Object.values(record.versions)) {
      if (v.version === record.current) continue;
      const file = this.file(record.kind, record.name, v.file);
      if (inUse.has(file)) continue;
      if (record.kind !== 'boot') await this.options.diskStore.remove(file);
      await fs.rm(file, { force: true });
      delete record.versions[v.version];
      changed = true;
    }
    if (changed)
      await writeJsonAtomic(
        path.join(this.dir(record.kind, record.name), 'image.json'),
        record,
      );
  }

  private async usedPaths(): Promise<Set<string>> {
    const used = await this.options.layersInUse();
    // An OS version is in use while an installed appliance sits on it.
    const appliances = await fs
      .readdir(path.join(this.root, 'appliance'))
      .catch(() => [] as string[]);
    for (const name of appliances) {
      const record = await this.read('appliance', name);
      for (const v of Object.values(record?.versions ?? {})) {
        if (!v.os) continue;
        const os = await this.read('os', v.os.name);
        const osVersion = os?.versions[v.os.version];
        if (osVersion) used.add(this.file('os', v.os.name, osVersion.file));
      }
    }
    return used;
  }

  private remember(download: Download) {
    this.history.set(download.id, download);
    for (const [id, d] of this.history) {
      if (this.history.size <= MAX_HISTORY) break;
      if (!d.active) this.history.delete(id);
    }
  }

  private async require(kind: ImageKind, name: string): Promise<ImageRecord> {
    validateName(name, 'image name');
    const record = await this.read(kind, name);
    if (!record)
      throw new AgentError(
        'UNKNOWN_IMAGE',
        `No ${kind} image named ${name} is installed`,
      );
    return record;
  }

  private async read(
    kind: ImageKind,
    name: string,
  ): Promise<ImageRecord | undefined> {
    if (!IMAGE_KINDS.includes(kind))
      throw new AgentError('INVALID_REQUEST', `Unknown image kind ${kind}`);
    return readJson<ImageRecord>(path.join(this.dir(kind, name), 'image.json'));
  }

  private dir(kind: ImageKind, name: string) {
    return resolveInside(this.root, kind, validateName(name, 'image name'));
  }

  private file(kind: ImageKind, name: string, file: string) {
    return resolveInside(this.dir(kind, name), file);
  }
}

function toView(record: ImageRecord): ImageView {
  const current = record.versions[record.current];
  return {
    kind: record.kind,
    name: record.name,
    version: current.version,
    sha256: current.sha256,
    sizeBytes: current.sizeBytes,
    url: current.url,
    installedAt: current.installedAt,
    ...(current.os ? { os: current.os } : {}),
    versions: Object.keys(record.versions).sort(),
  };
}
