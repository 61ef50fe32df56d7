/** `7.7 MiB` */
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** An operation's step as the operations API answers it. */
export type Step = {
  name: string;
  state: string;
  startedAt?: string;
  finishedAt?: string;
  detail?: Record<string, any>;
};

/** `12.3 s` */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `place 0.1 s, transfer 3.2 s, ...`: where an operation spent its time. */
export const stepTimes = (operation: {
  steps: Array<{ name: string; startedAt?: string; finishedAt?: string }>;
}) =>
  operation.steps
    .filter(s => s.startedAt && s.finishedAt)
    .map(
      s =>
        `${s.name} ${seconds(Date.parse(s.finishedAt!) - Date.parse(s.startedAt!))}`,
    )
    .join(', ');

/**
 * A JSON caller of the backend at `base()` (read at each call: it is known
 * once the backend has started) with `headers` (the token lands there).
 */
export function jsonCaller(
  base: () => string,
  headers: Record<string, string>,
) {
  return async (method: string, url: string, body?: unknown) => {
    const res = await fetch(url.startsWith('http') ? url : `${base()}${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/** Stops a part of a test bed, waiting 30 s at most; a part that fails to stop is reported, not thrown. */
export const stopQuietly = (stop?: () => Promise<void>) =>
  stop
    ? Promise.race([
        stop().catch((e: unknown) =>
          console.warn(`A part of the test bed did not stop: ${e}`),
        ),
        new Promise(r => setTimeout(r, 30_000)),
      ])
    : undefined;
