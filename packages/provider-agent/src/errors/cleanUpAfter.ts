/**
 * Undoes partial work after `failure` and rethrows it. When the clean-up
 * fails as well, the error thrown still carries the first failure (its code
 * and message) and says what was left behind.
 */
export async function cleanUpAfter(
  failure: unknown,
  cleanup: () => Promise<void>,
): Promise<never> {
  try {
    await cleanup();
  } catch (e) {
    if (failure instanceof Error) {
      failure.message = `${failure.message}; cleaning up also failed: ${
        (e as Error).message
      }`;
    }
  }
  throw failure;
}
