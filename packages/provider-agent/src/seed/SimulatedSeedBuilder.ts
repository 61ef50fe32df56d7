import fs from 'node:fs/promises';
import path from 'node:path';
import { AgentError, fromFsError } from '../errors/AgentError';
import { assertInside } from '../validation/dataPath';
import { SeedBuilder, SeedConfig } from './SeedBuilder';
import { parseSeedFiles, renderGuestFiles, renderSeedFiles } from './seedFiles';
import { unlessMissing } from '../storage/unlessMissing';

/** Keeps the NoCloud files as JSON instead of an ISO; no guest ever reads it. */
export class SimulatedSeedBuilder implements SeedBuilder {
  readonly driver = 'simulated' as const;

  constructor(private readonly root: string) {}

  async build(file: string, config: SeedConfig): Promise<void> {
    assertInside(this.root, file);
    const files = {
      ...renderSeedFiles(config),
      guest: renderGuestFiles(config),
    };
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify(files)).catch(e => {
      throw fromFsError(e, 'the seed');
    });
  }

  async read(file: string): Promise<SeedConfig> {
    assertInside(this.root, file);
    const text = await unlessMissing(fs.readFile(file, 'utf8'), undefined);
    if (text === undefined)
      throw new AgentError('UNKNOWN_DISK', `No seed at ${file}`);
    const { metaData, userData } = JSON.parse(text);
    return parseSeedFiles(metaData, userData);
  }

  async files(file: string): Promise<Record<string, string>> {
    assertInside(this.root, file);
    const text = await unlessMissing(fs.readFile(file, 'utf8'), undefined);
    if (text === undefined)
      throw new AgentError('UNKNOWN_DISK', `No seed at ${file}`);
    const { metaData, userData, guest } = JSON.parse(text);
    return { 'meta-data': metaData, 'user-data': userData, ...guest };
  }
}
