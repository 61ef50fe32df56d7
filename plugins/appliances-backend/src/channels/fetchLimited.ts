import { Dispatcher, request } from 'undici';
import { createAddressPolicy, guardedAgent } from '@tempest/outbound-guard';
import { resolveHttpUrl } from './urls';

export type FetchLimits = {
  /** Largest body accepted, in bytes; counted while the body streams in. */
  maxBytes: number;
  /** Whole request, headers and body, in milliseconds. */
  timeoutMs: number;
  /** Redirects followed before giving up (loops count too). */
  maxRedirects: number;
};

export type Validators = { etag?: string; lastModified?: string };

export type FetchResult =
  | { status: 'not-modified'; url: string }
  | {
      status: 'ok';
      url: string;
      body: Buffer;
      etag?: string;
      lastModified?: string;
    };

/** A fetch that did not produce a usable body; the message says why. */
export class FetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchError';
  }
}

/** Public addresses only: callers that may reach private ones pass their own guarded agent. */
const sharedAgent = guardedAgent(createAddressPolicy(), {
  connections: 32,
  keepAliveTimeout: 10_000,
});

/**
 * GETs an http(s) URL with a size limit enforced while streaming, an overall
 * timeout, a bounded number of redirects (each hop re-checked to be http or
 * https) and conditional headers, so an unchanged resource costs one 304.
 * Where it may connect is the dispatcher's to say: by default public
 * addresses only (see @tempest/outbound-guard), at every hop.
 */
export async function fetchLimited(
  url: string,
  limits: FetchLimits,
  validators: Validators = {},
  dispatcher: Dispatcher = sharedAgent,
): Promise<FetchResult> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let current = resolveHttpUrl(url);
  if (!current)
    throw new FetchError(
      `expected an http or https URL, got ${JSON.stringify(url.slice(0, 80))}`,
    );
  const visited = new Set<string>();
  for (let hop = 0; ; hop++) {
    visited.add(current);
    const headers: Record<string, string> = {
      accept: 'application/rss+xml, application/xml, text/xml, */*;q=0.5',
      'user-agent': 'tempest-appliances/0.1',
    };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified)
      headers['if-modified-since'] = validators.lastModified;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, {
        method: 'GET',
        headers,
        signal,
        dispatcher,
        headersTimeout: limits.timeoutMs,
        bodyTimeout: limits.timeoutMs,
      });
    } catch (e) {
      throw new FetchError(describeNetworkError(current, e, limits.timeoutMs));
    }
    const { statusCode } = res;
    if (statusCode >= 300 && statusCode < 400 && statusCode !== 304) {
      discard(res.body);
      const location = header(res.headers.location);
      if (!location)
        throw new FetchError(
          `${current}: redirect ${statusCode} without a Location`,
        );
      const next = resolveHttpUrl(location, current);
      if (!next)
        throw new FetchError(
          `${current}: redirect to a non-http(s) URL refused`,
        );
      if (visited.has(next))
        throw new FetchError(`${current}: redirect loop back to ${next}`);
      if (hop + 1 > limits.maxRedirects) {
        throw new FetchError(
          `${url}: more than ${limits.maxRedirects} redirects`,
        );
      }
      current = next;
      continue;
    }
    if (statusCode === 304) {
      discard(res.body);
      return { status: 'not-modified', url: current };
    }
    if (statusCode < 200 || statusCode >= 300) {
      discard(res.body);
      throw new FetchError(`${current}: HTTP ${statusCode}`);
    }
    const declared = Number(header(res.headers['content-length']) ?? NaN);
    if (declared > limits.maxBytes) {
      discard(res.body);
      throw new FetchError(
        `${current}: body of ${declared} bytes exceeds the limit of ${limits.maxBytes}`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > limits.maxBytes) {
          discard(res.body);
          throw new FetchError(
            `${current}: body exceeds the limit of ${limits.maxBytes} bytes`,
          );
        }
        chunks.push(chunk as Buffer);
      }
    } catch (e) {
      if (e instanceof FetchError) throw e;
      throw new FetchError(describeNetworkError(current, e, limits.timeoutMs));
    }
    return {
      status: 'ok',
      url: current,
      body: Buffer.concat(chunks, size),
      etag: header(res.headers.etag),
      lastModified: header(res.headers['last-modified']),
    };
  }
}

/** Drops a body we will not read; its abort error has nowhere useful to go. */
function discard(body: Dispatcher.ResponseData['body']) {
  body.on('error', () => {});
  body.destroy();
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describeNetworkError(
  url: string,
  e: unknown,
  timeoutMs: number,
): string {
  const err = e as { name?: string; code?: string; message?: string };
  if (
    err.name === 'TimeoutError' ||
    err.name === 'AbortError' ||
    /Timeout/.test(err.code ?? '')
  ) {
    return `${url}: no complete answer within ${timeoutMs} ms`;
  }
  return `${url}: ${err.code ?? err.name ?? 'error'} ${err.message ?? ''}`.trim();
}
