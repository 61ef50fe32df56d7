import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentError, fromFsError } from '../errors/AgentError';
import { runCommand } from '../exec/runCommand';
import { assertInside } from '../validation/dataPath';
import { SeedBuilder, SeedConfig } from './SeedBuilder';
import { parseSeedFiles, renderSeedFiles } from './seedFiles';
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
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-seed-'));
    const tmp = `${file}.tmp`;
    try {
      await fs.writeFile(path.join(dir, 'meta-data'), metaData);
      await fs.writeFile(path.join(dir, 'user-data'), userData);
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
        path.join(dir, 'meta-data'),
        path.join(dir, 'user-data'),
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
    assertInside(this.root, file);
    if (!(await unlessMissing(fs.stat(file), undefined)))
      throw new AgentError('UNKNOWN_DISK', `No seed at ${file}`);
    const extract = async (name: string) =>
      (
        await runCommand(this.tools.isoinfo, [
          '-R',
          '-i',
          file,
          '-x',
          `/${name}`,
        ])
      ).stdout;
    return parseSeedFiles(
      await extract('meta-data'),
      await extract('user-data'),
    );
  }
}
