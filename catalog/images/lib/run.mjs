// @ts-check
import { spawnSync } from 'node:child_process';

/**
 * Runs a program with an argument array (never a shell). Returns stdout and
 * stderr; a non-zero exit throws with the program's stderr.
 * @param {string} file
 * @param {string[]} args
 * @param {{ cwd?: string, env?: Record<string, string>, input?: string | Buffer }} [options]
 */
export function runFull(file, args, options = {}) {
  const t0 = Date.now();
  const result = spawnSync(file, args, {
    cwd: options.cwd,
    env: { ...process.env, LC_ALL: 'C', ...options.env },
    input: options.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (process.env.TEMPEST_IMAGES_TIMING)
    process.stderr.write(
      `${Date.now() - t0} ms ${file} ${args.slice(0, 3).join(' ')}\n`,
    );
  const stderr = result.stderr?.toString() ?? '';
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? stderr.trim().slice(-2000);
    throw new Error(
      `${file} ${args.join(' ').slice(0, 300)} failed (${result.status ?? 'not run'}): ${why}`,
    );
  }
  return { stdout: result.stdout.toString(), stderr };
}

/** Like runFull, returning stdout only. */
export function run(file, args, options = {}) {
  return runFull(file, args, options).stdout;
}
