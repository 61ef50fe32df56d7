import fs from 'node:fs/promises';
import path from 'node:path';
import { unlessMissing } from '../storage/unlessMissing';

/** Bytes allocated under a directory (sparse files count only written blocks). */
export async function allocatedBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await unlessMissing(
    fs.readdir(dir, { withFileTypes: true }),
    [],
  );
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await allocatedBytes(full);
    else if (entry.isFile())
      total +=
        ((await unlessMissing(fs.stat(full), undefined))?.blocks ?? 0) * 512;
  }
  return total;
}

/**
 * Bytes allocated under each entry of a directory (a file's own, a folder's
 * all), in one walk; `only` limits it to those entries.
 */
export async function allocatedBytesByEntry(
  dir: string,
  only?: string[],
): Promise<Map<string, number>> {
  const result = new Map<string, number>();
  const entries = await unlessMissing(
    fs.readdir(dir, { withFileTypes: true }),
    [],
  );
  for (const entry of entries) {
    if (only && !only.includes(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) result.set(entry.name, await allocatedBytes(full));
    else if (entry.isFile())
      result.set(
        entry.name,
        ((await unlessMissing(fs.stat(full), undefined))?.blocks ?? 0) * 512,
      );
  }
  return result;
}

export async function filesystemSpace(
  dir: string,
): Promise<{ totalBytes: number; freeBytes: number }> {
  const stats = await fs.statfs(dir);
  return {
    totalBytes: stats.blocks * stats.bsize,
    freeBytes: stats.bavail * stats.bsize,
  };
}
