import fs from 'node:fs';
import path from 'node:path';

/** Finds a program on PATH (or the sbin folders) without a shell; undefined when absent. */
export function findProgram(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch (e) {
      // Not here, or not executable: keep looking.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'ENOTDIR') throw e;
    }
  }
  return undefined;
}
