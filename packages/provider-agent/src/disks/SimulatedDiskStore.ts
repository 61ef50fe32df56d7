import fs from 'node:fs/promises';
import path from 'node:path';
import { AgentError, fromFsError } from '../errors/AgentError';
import { readJson, writeJsonAtomic } from '../storage/writeJsonAtomic';
import { assertInside } from '../validation/dataPath';
import { DiskStore, LayerInfo } from './DiskStore';
import { unlessMissing } from '../storage/unlessMissing';
import { NotQcow2Error, emptyQcow2, readQcow2Header } from './qcow2';

interface SimLayer {
  virtualSizeBytes: number;
  backingPath?: string;
}

/**
 * Checks images as qemu-img does (a qcow2 header, its virtual size, no
 * backing file under a base image) but never reads or writes guest data:
 * overlays are empty qcow2 files, and the backing chain lives in an index
 * (`disks.json` in its state directory) instead of in rewritten headers.
 */
export class SimulatedDiskStore implements DiskStore {
  readonly driver = 'simulated' as const;
  private readonly indexFile: string;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly root: string,
    stateDir: string,
  ) {
    this.indexFile = path.join(stateDir, 'disks.json');
  }

  adoptImage(
    file: string,
    options: { backingPath?: string },
  ): Promise<LayerInfo> {
    return this.withIndex(async index => {
      assertInside(this.root, file);
      const stat = await unlessMissing(fs.stat(file), undefined);
      if (!stat) throw new AgentError('UNKNOWN_IMAGE', `No image at ${file}`);
      const header = await readQcow2Header(file).catch(e => {
        if (e instanceof NotQcow2Error)
          throw new AgentError(
            'IMAGE_INVALID',
            `The image is not usable: ${e.message}`,
          );
        throw e;
      });
      if (!options.backingPath && header.backingFile) {
        throw new AgentError(
          'IMAGE_INVALID',
          'A base image must not have a backing file',
        );
      }
      if (options.backingPath) {
        assertInside(this.root, options.backingPath);
        if (!index[options.backingPath]) {
          throw new AgentError(
            'UNKNOWN_IMAGE',
            `The backing layer ${options.backingPath} does not exist`,
          );
        }
      }
      index[file] = {
        virtualSizeBytes: header.virtualSizeBytes,
        backingPath: options.backingPath,
      };
    }).then(() => this.chain(file).then(c => c[0]));
  }

  createOverlay(
    file: string,
    backingPath: string,
    options: { sizeBytes?: number } = {},
  ) {
    return this.withIndex(async index => {
      assertInside(this.root, file);
      assertInside(this.root, backingPath);
      if (index[file] || (await exists(file)))
        throw new AgentError(
          'DISK_EXISTS',
          `A layer already exists at ${file}`,
        );
      const backing = index[backingPath];
      if (!backing || !(await exists(backingPath))) {
        throw new AgentError(
          'UNKNOWN_IMAGE',
          `The backing layer ${backingPath} does not exist`,
        );
      }
      const virtualSizeBytes = options.sizeBytes ?? backing.virtualSizeBytes;
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs
        .writeFile(file, emptyQcow2(virtualSizeBytes, backingPath), {
          flag: 'wx',
        })
        .catch(e => {
          throw fromFsError(e, file);
        });
      index[file] = { virtualSizeBytes, backingPath };
    }).then(() => this.chain(file).then(c => c[0]));
  }

  createBlank(file: string, sizeBytes: number) {
    return this.withIndex(async index => {
      assertInside(this.root, file);
      if (index[file] || (await exists(file)))
        throw new AgentError(
          'DISK_EXISTS',
          `A layer already exists at ${file}`,
        );
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs
        .writeFile(file, emptyQcow2(sizeBytes), { flag: 'wx' })
        .catch(e => {
          throw fromFsError(e, file);
        });
      index[file] = { virtualSizeBytes: sizeBytes };
    }).then(() => this.chain(file).then(c => c[0]));
  }

  adoptLayer(file: string, backingPath?: string): Promise<LayerInfo> {
    return this.withIndex(async index => {
      assertInside(this.root, file);
      if (backingPath) {
        assertInside(this.root, backingPath);
        if (!index[backingPath])
          throw new AgentError(
            'UNKNOWN_IMAGE',
            `The backing layer ${backingPath} does not exist`,
          );
      }
      const header = await readQcow2Header(file).catch(e => {
        if (e instanceof NotQcow2Error)
          throw new AgentError(
            'IMAGE_INVALID',
            `${file} is not usable: ${e.message}`,
          );
        throw fromFsError(e, file);
      });
      if (!backingPath && header.backingFile)
        throw new AgentError(
          'IMAGE_INVALID',
          `${file} has a backing file; a volume must stand alone`,
        );
      // The header still names the old host's backing file; the index is what counts here.
      index[file] = { virtualSizeBytes: header.virtualSizeBytes, backingPath };
    }).then(() => this.chain(file).then(c => c[0]));
  }

  async chain(file: string): Promise<LayerInfo[]> {
    assertInside(this.root, file);
    const index = await this.readIndex();
    const layers: LayerInfo[] = [];
    for (
      let current: string | undefined = file;
      current;
      current = index[current]?.backingPath
    ) {
      const layer: SimLayer | undefined = index[current];
      const stat = await unlessMissing(fs.stat(current), undefined);
      if (!layer || !stat)
        throw new AgentError('UNKNOWN_DISK', `No layer at ${current}`);
      layers.push({
        path: current,
        format: 'qcow2',
        virtualSizeBytes: layer.virtualSizeBytes,
        actualSizeBytes: stat.blocks * 512,
        backingPath: layer.backingPath,
      });
    }
    return layers;
  }

  remove(file: string): Promise<void> {
    return this.withIndex(async index => {
      assertInside(this.root, file);
      delete index[file];
      await fs.rm(file, { force: true });
    });
  }

  private async readIndex(): Promise<Record<string, SimLayer>> {
    return (await readJson<Record<string, SimLayer>>(this.indexFile)) ?? {};
  }

  /** Serialises index updates so concurrent calls never lose one another's writes. */
  private withIndex(
    fn: (index: Record<string, SimLayer>) => Promise<void>,
  ): Promise<void> {
    const run = this.lock.then(async () => {
      const index = await this.readIndex();
      await fn(index);
      await writeJsonAtomic(this.indexFile, index);
    });
    // The next update waits for this one either way; its failure reaches its caller through `run`.
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

async function exists(file: string) {
  return unlessMissing(
    fs.stat(file).then(() => true),
    false,
  );
}
