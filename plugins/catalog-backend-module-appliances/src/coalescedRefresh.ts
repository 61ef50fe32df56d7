/**
 * Wraps a refresh so that calls arriving while it runs cause exactly one more
 * run after it: a burst of change events costs one extra run, and a change
 * announced mid-run is never missed. A run starts at least `minGapMs` after
 * the previous one started, so a steady stream of changes costs one run per
 * gap rather than back-to-back full reads. Errors go to `onError`, never to callers.
 */
export function coalescedRefresh(
  run: () => Promise<unknown>,
  onError: (error: unknown) => void,
  options: { minGapMs?: number } = {},
): () => Promise<void> {
  const minGapMs = options.minGapMs ?? 0;
  let running: Promise<void> | undefined;
  let again = false;
  let lastStart = -Infinity;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        const wait = lastStart + minGapMs - Date.now();
        if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
        lastStart = Date.now();
        try {
          await run();
        } catch (error) {
          onError(error);
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
}
