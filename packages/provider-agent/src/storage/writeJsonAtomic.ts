import fs from 'node:fs/promises';
import path from 'node:path';
import { fromFsError } from '../errors/AgentError';

let counter = 0;

/** Writes JSON through a temp file and rename, so a crash never leaves half a file. */
export async function writeJsonAtomic(
  file: string,
  value: unknown,
): Promise<void> {
  const tmp = `${file}.${process.pid}.${++counter}.tmp`;
  try {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw fromFsError(e, path.basename(file));
  }
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e: any) {
    if (e?.code === 'ENOENT') return undefined;
    throw e;
  }
}
