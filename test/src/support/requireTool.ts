import fs from 'node:fs';

/**
 * Whether a host tool is present. When it is missing the caller's tests are
 * skipped with a printed reason, except under CI=true, where a missing tool
 * fails the run: CI installs every tool the tests need.
 */
export function hasTool(path: string, why: string): boolean {
  if (fs.existsSync(path)) {
    return true;
  }
  if (process.env.CI === 'true') {
    throw new Error(`${path} is required under CI=true (${why})`);
  }
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: ${why}: ${path} is not installed`);
  return false;
}

/** `describe` when the tool is present, otherwise a skipped block (see hasTool). */
export function describeWithTool(path: string, why: string): jest.Describe {
  return hasTool(path, why) ? describe : describe.skip;
}
