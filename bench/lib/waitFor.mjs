export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Polls `probe` every 250 ms until it returns something truthy (errors count as not yet). */
export async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(250);
  }
}
