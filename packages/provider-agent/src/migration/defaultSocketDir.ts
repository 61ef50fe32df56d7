import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

/** The longest path a unix socket may have (sun_path holds 108 bytes with its NUL). */
export const MAX_SOCKET_PATH = 107;

/** The longest socket a live migration makes in its folder: `<socketDir>/<uuid>/hv.sock`. */
const longestSocket = (dir: string) =>
  path.join(dir, '00000000-0000-0000-0000-000000000000', 'hv.sock').length;

/**
 * Where live migrations' sockets go unless configured: `<dataDir>/migration`,
 * or, when that is too deep for a unix socket's path, a folder of this
 * agent's own under the system's temporary folder.
 */
export function defaultSocketDir(dataDir: string): string {
  const beside = path.join(dataDir, 'migration');
  if (longestSocket(beside) <= MAX_SOCKET_PATH) return beside;
  const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `tempest-migration-${id}`);
}
