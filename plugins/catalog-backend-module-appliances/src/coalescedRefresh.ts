/**
 * Wraps a refresh so that calls arriving while it runs cause exactly one more
 * run after it: a burst of change events costs one extra run, and a change
 * announced mid-run is never missed. Errors go to `onError`, never to callers.
 */
export function coalescedRefresh(run: () => Promise<unknown>, onError: (error: unknown) => void): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
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
