import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentError, fromFsError } from '../errors/AgentError';
import { runCommand } from '../exec/runCommand';
import { assertInside } from '../validation/dataPath';
import { SeedBuilder, SeedConfig } from './SeedBuilder';
import { parseSeedFiles, renderGuestFiles, renderSeedFiles } from './seedFiles';
import { unlessMissing } from '../storage/unlessMissing';

/** A cloud-init NoCloud seed: an ISO 9660 image with volume id `cidata`. */
export class GenisoimageSeedBuilder implements SeedBuilder {
  readonly driver = 'genisoimage' as const;

  constructor(
    private readonly root: string,
    private readonly tools = { genisoimage: 'genisoimage', isoinfo: 'isoinfo' },
  ) {}

  async build(file: string, config: SeedConfig): Promise<void> {
    assertInside(this.root, file);
    const { metaData, userData } = renderSeedFiles(config);
    const guestFiles = renderGuestFiles(config);
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-seed-'));
    const tmp = `${file}.tmp`;
    try {
      const files: Record<string, string> = {
        'meta-data': metaData,
        'user-data': userData,
        ...guestFiles,
      };
      for (const [name, content] of Object.entries(files)) {
        await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await fs.writeFile(path.join(dir, name), content, { mode: 0o600 });
      }
      await fs.mkdir(path.dirname(file), { recursive: true });
      await runCommand(this.tools.genisoimage, [
        '-quiet',
        '-output',
        tmp,
        '-volid',
        'cidata',
        '-joliet',
        '-rock',
        '-input-charset',
        'utf-8',
        dir,
      ]);
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e instanceof AgentError ? e : fromFsError(e, 'the seed');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  async read(file: string): Promise<SeedConfig> {
    const files = await this.files(file);
    return parseSeedFiles(files['meta-data'] ?? '', files['user-data'] ?? '');
  }

  async files(file: string): Promise<Record<string, string>> {
    assertInside(this.root, file);
    if (!(await unlessMissing(fs.stat(file), undefined)))
      throw new AgentError('UNKNOWN_DISK', `No seed at ${file}`);
    const listing = (
      await runCommand(this.tools.isoinfo, ['-R', '-f', '-i', file])
    ).stdout;
    const files: Record<string, string> = {};
    for (const name of listing.split('\n').filter(Boolean)) {
      const content = (
        await runCommand(this.tools.isoinfo, ['-R', '-i', file, '-x', name])
      ).stdout;
      // Directories list too; they extract as nothing.
      if (name !== '/tempest') files[name.slice(1)] = content;
    }
    return files;
  }
}
