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

export async function filesystemSpace(
  dir: string,
): Promise<{ totalBytes: number; freeBytes: number }> {
  const stats = await fs.statfs(dir);
  return {
    totalBytes: stats.blocks * stats.bsize,
    freeBytes: stats.bavail * stats.bsize,
  };
}
