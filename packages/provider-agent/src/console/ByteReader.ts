import type { Readable } from 'node:stream';

interface Waiter {
  bytes: number;
  resolve(bytes: Buffer): void;
  reject(error: Error): void;
}

/** Reads exact byte counts from a stream, for binary protocols such as RFB. */
export class ByteReader {
  private buffered = Buffer.alloc(0);
  private waiter?: Waiter;
  private ended?: Error;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.settle();
    });
    const end = (e?: Error) => {
      this.ended ??= e ?? new Error('The connection closed');
      this.settle();
    };
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', end);
  }

  /** The next `bytes` bytes; rejects when the stream ends first. */
  read(bytes: number): Promise<Buffer> {
    if (this.waiter) throw new Error('ByteReader: one read at a time');
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter = { bytes, resolve, reject };
      this.settle();
    });
  }

  private settle() {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.buffered.length >= waiter.bytes) {
      const out = Buffer.from(this.buffered.subarray(0, waiter.bytes));
      this.buffered = this.buffered.subarray(waiter.bytes);
      this.waiter = undefined;
      waiter.resolve(out);
    } else if (this.ended) {
      this.waiter = undefined;
      waiter.reject(this.ended);
    }
  }
}
