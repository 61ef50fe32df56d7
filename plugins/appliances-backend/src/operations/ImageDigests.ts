import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { Dispatcher, fetch } from 'undici';
import { createAddressPolicy, guardedAgent } from '@tempest/outbound-guard';

/** Public addresses only, unless the plugin passes its own guarded agent. */
let publicOnly: Dispatcher | undefined;

/**
 * The agent checks every image against a SHA-256, but channel definitions
 * carry none. The backend works it out once per image URL by streaming the
 * file, and keeps it.
 */
export class ImageDigests {
  private readonly inFlight = new Map<
    string,
    Promise<{ sha256: string; sizeBytes: number }>
  >();

  constructor(
    private readonly db: Knex,
    private readonly options: {
      maxBytes: number;
      timeoutMs: number;
      /** Where it may connect, at every redirect; default public addresses only. */
      dispatcher?: Dispatcher;
    },
  ) {}

  async digest(url: string): Promise<{ sha256: string; sizeBytes: number }> {
    const urlHash = createHash('sha256').update(url).digest('hex');
    const row = await this.db('image_digests')
      .where({ url_hash: urlHash })
      .first();
    if (row) return { sha256: row.sha256, sizeBytes: Number(row.size_bytes) };
    let pending = this.inFlight.get(urlHash);
    if (!pending) {
      pending = this.compute(url, urlHash).finally(() =>
        this.inFlight.delete(urlHash),
      );
      this.inFlight.set(urlHash, pending);
    }
    return pending;
  }

  private async compute(url: string, urlHash: string) {
    publicOnly ??= guardedAgent(createAddressPolicy());
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      response = await fetch(url, {
        redirect: 'follow',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        dispatcher: this.options.dispatcher ?? publicOnly,
      });
    } catch (e) {
      // fetch says only "fetch failed"; the reason (a refused address, a timeout) is its cause.
      const reason = (e as { cause?: Error }).cause ?? (e as Error);
      throw new Error(`Could not fetch ${url} to hash it: ${reason.message}`, {
        cause: e,
      });
    }
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel();
      throw new Error(`Fetching ${url} to hash it answered ${response.status}`);
    }
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      sizeBytes += chunk.length;
      if (sizeBytes > this.options.maxBytes) {
        // Leaving the loop by throwing cancels the body stream.
        throw new Error(`${url} is larger than ${this.options.maxBytes} bytes`);
      }
      hash.update(chunk);
    }
    const sha256 = hash.digest('hex');
    await this.db('image_digests')
      .insert({
        url_hash: urlHash,
        url,
        sha256,
        size_bytes: sizeBytes,
        computed_at: new Date(),
      })
      .onConflict('url_hash')
      .ignore();
    return { sha256, sizeBytes };
  }
}
