export const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Polls `probe` every 250 ms until it returns something truthy (errors count as not yet, and the last is reported). */
export async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    await sleep(250);
  }
}
