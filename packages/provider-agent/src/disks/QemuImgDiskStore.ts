import fs from 'node:fs/promises';
import { AgentError, fromFsError } from '../errors/AgentError';
import { CommandFailedError, runCommand } from '../exec/runCommand';
import { assertInside } from '../validation/dataPath';
import { DiskStore, LayerInfo } from './DiskStore';
import { unlessMissing } from '../storage/unlessMissing';

interface QemuImgInfo {
  filename: string;
  format: string;
  'virtual-size': number;
  'actual-size'?: number;
  'full-backing-filename'?: string;
  'backing-filename'?: string;
}

/** qcow2 backing chains with absolute backing paths (`-F qcow2 -b /abs/path`). */
export class QemuImgDiskStore implements DiskStore {
  readonly driver = 'qemu-img' as const;

  constructor(
    private readonly root: string,
    private readonly qemuImg = 'qemu-img',
  ) {}

  async adoptImage(
    path: string,
    options: { backingPath?: string },
  ): Promise<LayerInfo> {
    assertInside(this.root, path);
    let info: QemuImgInfo;
    try {
      info = (await this.info(path, false))[0];
    } catch (e) {
      throw new AgentError(
        'IMAGE_INVALID',
        `The image is not readable by qemu-img: ${(e as Error).message}`,
      );
    }
    if (info.format !== 'qcow2') {
      throw new AgentError(
        'IMAGE_INVALID',
        `The image is ${info.format}, expected qcow2`,
      );
    }
    if (options.backingPath) {
      assertInside(this.root, options.backingPath);
      // -u rewrites only the header: the appliance's data already sits on this OS layer.
      await this.run([
        'rebase',
        '-u',
        '-f',
        'qcow2',
        '-F',
        'qcow2',
        '-b',
        options.backingPath,
        path,
      ]);
    } else if (info['backing-filename']) {
      throw new AgentError(
        'IMAGE_INVALID',
        'A base image must not have a backing file',
      );
    }
    await this.run(['check', '-q', '-f', 'qcow2', path]).catch(e => {
      throw new AgentError(
        'IMAGE_INVALID',
        `qemu-img check failed: ${(e as Error).message}`,
      );
    });
    return (await this.chain(path))[0];
  }

  async createOverlay(
    path: string,
    backingPath: string,
    options: { sizeBytes?: number } = {},
  ) {
    assertInside(this.root, path);
    assertInside(this.root, backingPath);
    if (await exists(path))
      throw new AgentError('DISK_EXISTS', `A layer already exists at ${path}`);
    if (!(await exists(backingPath))) {
      throw new AgentError(
        'UNKNOWN_IMAGE',
        `The backing layer ${backingPath} does not exist`,
      );
    }
    const args = [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      backingPath,
      path,
    ];
    if (options.sizeBytes) args.push(String(options.sizeBytes));
    try {
      await this.run(args);
    } catch (e) {
      await fs.rm(path, { force: true });
      throw e;
    }
    return (await this.chain(path))[0];
  }

  async createBlank(path: string, sizeBytes: number) {
    assertInside(this.root, path);
    if (await exists(path))
      throw new AgentError('DISK_EXISTS', `A layer already exists at ${path}`);
    try {
      await this.run(['create', '-q', '-f', 'qcow2', path, String(sizeBytes)]);
    } catch (e) {
      await fs.rm(path, { force: true });
      throw e;
    }
    return (await this.chain(path))[0];
  }

  async adoptLayer(path: string, backingPath?: string): Promise<LayerInfo> {
    assertInside(this.root, path);
    if (backingPath) {
      assertInside(this.root, backingPath);
      if (!(await exists(backingPath)))
        throw new AgentError(
          'UNKNOWN_IMAGE',
          `The backing layer ${backingPath} does not exist`,
        );
      // -u: the layer's data already sits on an identical layer on its old host.
      await this.run([
        'rebase',
        '-u',
        '-f',
        'qcow2',
        '-F',
        'qcow2',
        '-b',
        backingPath,
        path,
      ]);
    } else if ((await this.info(path, false))[0]['backing-filename']) {
      throw new AgentError(
        'IMAGE_INVALID',
        `${path} has a backing file; a volume must stand alone`,
      );
    }
    await this.run(['check', '-q', '-f', 'qcow2', path]);
    return (await this.chain(path))[0];
  }

  async chain(path: string): Promise<LayerInfo[]> {
    assertInside(this.root, path);
    return (await this.info(path, true)).map(i => ({
      path: i.filename,
      format: i.format,
      virtualSizeBytes: i['virtual-size'],
      actualSizeBytes: i['actual-size'] ?? 0,
      backingPath: i['full-backing-filename'] ?? i['backing-filename'],
    }));
  }

  async remove(path: string): Promise<void> {
    assertInside(this.root, path);
    await fs.rm(path, { force: true });
  }

  private async info(
    path: string,
    backingChain: boolean,
  ): Promise<QemuImgInfo[]> {
    if (!(await exists(path)))
      throw new AgentError('UNKNOWN_DISK', `No layer at ${path}`);
    // -U: the disk may belong to a running guest.
    const args = ['info', '-U', '--output=json', path];
    if (backingChain) args.splice(1, 0, '--backing-chain');
    const parsed = JSON.parse(await this.run(args));
    return Array.isArray(parsed) ? parsed : [parsed];
  }

  private async run(args: string[]): Promise<string> {
    try {
      return (await runCommand(this.qemuImg, args, { timeoutMs: 10 * 60_000 }))
        .stdout;
    } catch (e) {
      if (e instanceof CommandFailedError && /No space left/i.test(e.stderr)) {
        throw fromFsError({ code: 'ENOSPC' }, 'a disk layer');
      }
      throw e;
    }
  }
}

async function exists(path: string) {
  return unlessMissing(
    fs.stat(path).then(() => true),
    false,
  );
}
