import fs from 'node:fs/promises';
import path from 'node:path';
import { AgentError } from '../errors/AgentError';
import { resolveInside } from '../validation/dataPath';
import { validateName } from '../validation/names';
import { Download, DownloadView } from './Download';
import { IMAGE_KINDS, ImageKind } from './ImageKind';
import { ImageRecords } from './ImageRecords';
import { ImageStoreOptions } from './ImageStoreOptions';
import { ImageView, toImageView } from './ImageView';
import { imageLayersInUse } from './imageLayersInUse';
import { installImageDownload } from './installImageDownload';
import { InstallImageRequest } from './InstallImageRequest';
import { validateInstallRequest } from './validateInstallRequest';
import { readPublicKeys, sha256File } from './verifyImage';
import { unlessMissing } from '../storage/unlessMissing';

const MAX_HISTORY = 100;

/** OS, appliance and boot images: streamed downloads, verified, adopted as layers. */
export class ImageStore {
  private readonly records: ImageRecords;
  private readonly partialDir: string;
  private readonly active = new Map<string, Download>();
  private readonly history = new Map<string, Download>();

  constructor(private readonly options: ImageStoreOptions) {
    this.records = new ImageRecords(options.dataDir);
    this.partialDir = resolveInside(this.records.root, '.partial');
  }

  /** Clears partial files a crash may have left behind. */
  async init(): Promise<void> {
    await fs.rm(this.partialDir, { recursive: true, force: true });
    await fs.mkdir(this.partialDir, { recursive: true });
  }

  async list(): Promise<ImageView[]> {
    const views: ImageView[] = [];
    for (const kind of IMAGE_KINDS) {
      const names = await unlessMissing(
        fs.readdir(path.join(this.records.root, kind)),
        [],
      );
      for (const name of names.sort()) {
        const record = await this.records.read(kind, name);
        if (record) views.push(toImageView(record));
      }
    }
    return views;
  }

  async get(kind: ImageKind, name: string): Promise<ImageView> {
    return toImageView(await this.records.require(kind, name));
  }

  /** The absolute path of an installed image's current version. */
  async resolve(
    kind: ImageKind,
    name: string,
  ): Promise<{ path: string; version: string }> {
    const record = await this.records.require(kind, name);
    return {
      path: this.records.file(kind, name, record.versions[record.current].file),
      version: record.current,
    };
  }

  /** The absolute path of one installed version, or undefined when it is not here. */
  async layerPath(
    kind: ImageKind,
    name: string,
    version: string,
  ): Promise<string | undefined> {
    const record = await this.records.read(kind, name);
    const entry = record?.versions[version];
    return entry ? this.records.file(kind, name, entry.file) : undefined;
  }

  /** The OS an installed appliance version sits on, when recorded. */
  async applianceOs(
    name: string,
    version: string,
  ): Promise<{ name: string; version: string } | undefined> {
    return (await this.records.read('appliance', name))?.versions[version]?.os;
  }

  async install(kind: ImageKind, name: string, request: InstallImageRequest) {
    validateInstallRequest(kind, name, request);
    this.refuseIfDownloading(kind, name);
    const record = await this.records.read(kind, name);
    if (record) {
      const current = record.versions[record.current];
      if (
        record.current === request.version &&
        current.sha256 === request.sha256.toLowerCase()
      ) {
        return { status: 'installed' as const, image: toImageView(record) };
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
    validateInstallRequest(kind, name, request);
    this.refuseIfDownloading(kind, name);
    const record = await this.records.require(kind, name);
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
    const record = await this.records.read(kind, name);
    if (!record)
      return {
        installed: false as const,
        downloading: this.active.has(`${kind}/${name}`),
      };
    const current = record.versions[record.current];
    // A missing file is not intact; a file that cannot be read is an error.
    const actual = await unlessMissing(
      sha256File(this.records.file(kind, name, current.file)),
      undefined,
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
    const record = await this.records.require(kind, name);
    const inUse = await imageLayersInUse(this.records, this.options);
    for (const v of Object.values(record.versions)) {
      if (inUse.has(this.records.file(kind, name, v.file))) {
        throw new AgentError(
          'IMAGE_IN_USE',
          `${kind} image ${name} ${v.version} is used by a disk or another image`,
        );
      }
    }
    for (const v of Object.values(record.versions)) {
      if (kind !== 'boot')
        await this.options.diskStore.remove(
          this.records.file(kind, name, v.file),
        );
    }
    await fs.rm(this.records.dir(kind, name), { recursive: true, force: true });
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
    download.done = installImageDownload(
      {
        options: this.options,
        records: this.records,
        partialDir: this.partialDir,
      },
      download,
      kind,
      name,
      request,
      os && { name: request.os!, ...os },
    ).finally(() => this.active.delete(key));
    return download.view();
  }

  private remember(download: Download) {
    this.history.set(download.id, download);
    for (const [id, d] of this.history) {
      if (this.history.size <= MAX_HISTORY) break;
      if (!d.active) this.history.delete(id);
    }
  }
}
