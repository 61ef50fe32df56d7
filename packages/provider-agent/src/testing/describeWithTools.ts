/* eslint-disable jest/no-export, jest/valid-title, jest/valid-describe-callback, jest/no-disabled-tests, jest/expect-expect */
// A describe wrapper: titles and bodies are passed through, and skipping is its purpose.
import { findProgram } from '../exec/findProgram';

/** Finds a program on PATH (or sbin dirs, where libvirtd lives) without a shell. */
export const findTool = findProgram;

export function missingTools(tools: string[]): string[] {
  return tools.filter(t => !findTool(t));
}

/**
 * A describe block for tests that need host tools. Without them it is skipped
 * with a printed reason, except under CI=true, where a missing tool fails.
 */
export function describeWithTools(
  tools: string[],
  title: string,
  body: () => void,
) {
  const missing = missingTools(tools);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const reason = `needs ${missing.join(', ')} on PATH`;
  if (process.env.CI === 'true') {
    describe(title, () => {
      it(`has its host tools (${tools.join(', ')})`, () => {
        throw new Error(
          `${title} ${reason}; under CI=true these tests must run`,
        );
      });
    });
    return;
  }
  // eslint-disable-next-line no-console
  console.warn(
    `Skipping "${title}": ${reason} (install the Debian packages in ../shared/TOOLCHAIN.md)`,
  );
  describe.skip(title, body);
}
