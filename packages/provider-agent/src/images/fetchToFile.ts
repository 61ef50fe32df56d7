import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Agent, Dispatcher, interceptors, request } from 'undici';
import { AgentError } from '../errors/AgentError';
import { Download } from './Download';

let defaultDispatcher: Dispatcher | undefined;
function dispatcher(): Dispatcher {
  defaultDispatcher ??= new Agent().compose(
    interceptors.redirect({ maxRedirections: 5 }),
  );
  return defaultDispatcher;
}

export interface FetchOptions {
  /** No byte for this long counts as a stalled download. */
  stallTimeoutMs: number;
  /** Bytes the data disk can still take. */
  freeBytes(): Promise<number>;
  signal?: AbortSignal;
}

export function checkUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentError(
      'INVALID_REQUEST',
      `Invalid URL ${JSON.stringify(url)}`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AgentError(
      'INVALID_REQUEST',
      `Only http and https URLs can be downloaded, not ${parsed.protocol}`,
    );
  }
  return parsed;
}

export function mapFetchError(e: any, signal?: AbortSignal): AgentError {
  if (e instanceof AgentError) return e;
  if (signal?.aborted)
    return new AgentError('DOWNLOAD_CANCELLED', 'The download was cancelled', {
      cause: e,
    });
  switch (e?.code) {
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new AgentError(
        'DOWNLOAD_STALLED',
        'The download stalled: no data arrived within the stall timeout',
        {
          cause: e,
        },
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new AgentError(
        'DISK_FULL',
        'The data disk filled up during the download',
        { cause: e },
      );
    default:
      return new AgentError(
        'DOWNLOAD_FAILED',
        `The download failed: ${e?.message ?? e}`,
        { cause: e },
      );
  }
}

/** GETs a URL; anything but a 200 is a failed download (its body is drained). */
async function requestOk(
  url: string,
  options: { stallTimeoutMs: number; signal?: AbortSignal },
) {
  const response = await request(url, {
    dispatcher: dispatcher(),
    signal: options.signal,
    headersTimeout: options.stallTimeoutMs,
    bodyTimeout: options.stallTimeoutMs,
  });
  if (response.statusCode !== 200) {
    response.body.resume();
    throw new AgentError(
      'DOWNLOAD_FAILED',
      `The server answered ${response.statusCode} for ${url}`,
    );
  }
  return response;
}

/**
 * Streams a URL into a new file, updating the download's progress as bytes
 * arrive and hashing them on the way. The file is removed on any failure.
 */
export async function fetchToFile(
  download: Download,
  target: string,
  options: FetchOptions,
): Promise<{ sha256: string }> {
  checkUrl(download.url);
  const hash = createHash('sha256');
  try {
    const response = await requestOk(download.url, options);
    const length = Number(response.headers['content-length']);
    if (Number.isFinite(length) && length > 0) {
      download.totalBytes = length;
      const free = await options.freeBytes();
      if (length > free) {
        response.body.destroy();
        throw new AgentError(
          'DISK_FULL',
          `The image needs ${length} bytes but only ${free} are free on the data disk`,
        );
      }
    }
    const counter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        hash.update(chunk);
        download.addBytes(chunk.length);
        callback(null, chunk);
      },
    });
    await pipeline(
      response.body,
      counter,
      fs.createWriteStream(target, { flags: 'wx', mode: 0o644 }),
      {
        signal: options.signal,
      },
    );
    return { sha256: hash.digest('hex') };
  } catch (e) {
    await fs.promises.rm(target, { force: true });
    throw mapFetchError(e, options.signal);
  }
}

/** Fetches a small text resource (a detached signature). */
export async function fetchText(
  url: string,
  options: { stallTimeoutMs: number; signal?: AbortSignal; maxBytes?: number },
) {
  checkUrl(url);
  try {
    const response = await requestOk(url, options);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > (options.maxBytes ?? 1024 * 1024)) {
        response.body.destroy();
        throw new AgentError(
          'DOWNLOAD_FAILED',
          `${url} is larger than a signature can be`,
        );
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    throw mapFetchError(e, options.signal);
  }
}
