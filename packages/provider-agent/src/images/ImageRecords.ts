import path from 'node:path';
import { AgentError } from '../errors/AgentError';
import { readJson, writeJsonAtomic } from '../storage/writeJsonAtomic';
import { resolveInside } from '../validation/dataPath';
import { validateName } from '../validation/names';
import { IMAGE_KINDS, ImageKind } from './ImageKind';

export interface VersionRecord {
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

export interface ImageRecord {
  kind: ImageKind;
  name: string;
  current: string;
  versions: Record<string, VersionRecord>;
}

/** Where installed images live on disk: `images/<kind>/<name>/image.json` beside the version files. */
export class ImageRecords {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = resolveInside(dataDir, 'images');
  }

  async require(kind: ImageKind, name: string): Promise<ImageRecord> {
    validateName(name, 'image name');
    const record = await this.read(kind, name);
    if (!record)
      throw new AgentError(
        'UNKNOWN_IMAGE',
        `No ${kind} image named ${name} is installed`,
      );
    return record;
  }

  async read(kind: ImageKind, name: string): Promise<ImageRecord | undefined> {
    if (!IMAGE_KINDS.includes(kind))
      throw new AgentError('INVALID_REQUEST', `Unknown image kind ${kind}`);
    return readJson<ImageRecord>(path.join(this.dir(kind, name), 'image.json'));
  }

  async write(kind: ImageKind, name: string, record: ImageRecord) {
    await writeJsonAtomic(
      path.join(this.dir(kind, name), 'image.json'),
      record,
    );
  }

  dir(kind: ImageKind, name: string) {
    return resolveInside(this.root, kind, validateName(name, 'image name'));
  }

  file(kind: ImageKind, name: string, file: string) {
    return resolveInside(this.dir(kind, name), file);
  }
}
