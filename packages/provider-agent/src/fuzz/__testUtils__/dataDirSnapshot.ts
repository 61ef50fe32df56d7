import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { unlessMissing } from '../../storage/unlessMissing';

/**
 * Every file under the agent's data directory with its size and content
 * hash: two snapshots are equal when a request changed nothing the agent
 * keeps (images, layers, disks, seeds, domain records, simulated state);
 * the live migrations' socket folder is left out.
 */
export async function dataDirSnapshot(root: string): Promise<string[]> {
  const entries: string[] = [];
  async function walk(dir: string) {
    // An export that expires meanwhile goes while it is walked.
    const listed = await unlessMissing(
      fs.readdir(dir, { withFileTypes: true }),
      [],
    );
    for (const entry of listed) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      // Live migrations' sockets come and go with incoming migrations that expire on their own.
      if (rel === 'migration') continue;
      if (entry.isDirectory()) {
        entries.push(`${rel}/`);
        await walk(full);
      } else {
        const body = await unlessMissing(fs.readFile(full), undefined);
        if (!body) continue;
        const hash = createHash('sha256').update(body).digest('hex');
        entries.push(`${rel} ${body.length} ${hash.slice(0, 16)}`);
      }
    }
  }
  await walk(root);
  return entries.sort();
}
