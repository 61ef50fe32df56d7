import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { request } from 'undici';

/**
 * The agent checks every image against a SHA-256, but channel definitions
 * carry none. The backend works it out once per image URL by streaming the
 * file, and keeps it.
 */
export class ImageDigests {
  private readonly inFlight = new Map<string, Promise<{ sha256: string; sizeBytes: number }>>();

  constructor(
    private readonly db: Knex,
    private readonly options: { maxBytes: number; timeoutMs: number },
  ) {}

  async digest(url: string): Promise<{ sha256: string; sizeBytes: number }> {
    const urlHash = createHash('sha256').update(url).digest('hex');
    const row = await this.db('image_digests').where({ url_hash: urlHash }).first();
    if (row) return { sha256: row.sha256, sizeBytes: Number(row.size_bytes) };
    let pending = this.inFlight.get(urlHash);
    if (!pending) {
      pending = this.compute(url, urlHash).finally(() => this.inFlight.delete(urlHash));
      this.inFlight.set(urlHash, pending);
    }
    return pending;
  }

  private async compute(url: string, urlHash: string) {
    const response = await request(url, {
      method: 'GET',
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      maxRedirections: 5,
    } as any);
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`Fetching ${url} to hash it answered ${response.statusCode}`);
    }
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of response.body) {
      sizeBytes += chunk.length;
      if (sizeBytes > this.options.maxBytes) {
        response.body.destroy();
        throw new Error(`${url} is larger than ${this.options.maxBytes} bytes`);
      }
      hash.update(chunk);
    }
    const sha256 = hash.digest('hex');
    await this.db('image_digests')
      .insert({ url_hash: urlHash, url, sha256, size_bytes: sizeBytes, computed_at: new Date() })
      .onConflict('url_hash')
      .ignore();
    return { sha256, sizeBytes };
  }
}
