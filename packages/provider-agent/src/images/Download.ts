import type { AgentApiSchemas } from '../api/apiTypes';
import { randomUUID } from 'node:crypto';
import { AgentErrorCode } from '../errors/AgentError';
import { ImageKind } from './ImageKind';

export type DownloadView = AgentApiSchemas['Download'];
export type DownloadState = DownloadView['state'];

const SPEED_WINDOW_MS = 3_000;

/** Progress and speed of one streamed download, readable while it runs. */
export class Download {
  readonly id = randomUUID();
  readonly controller = new AbortController();
  state: DownloadState = 'downloading';
  receivedBytes = 0;
  totalBytes: number | null = null;
  error?: { code: AgentErrorCode; message: string };
  finishedAt?: Date;
  readonly startedAt = new Date();
  /** Settles when the download has finished and cleaned up, whatever the outcome. */
  done: Promise<void> = Promise.resolve();
  private samples: Array<[number, number]> = [[Date.now(), 0]];

  constructor(
    readonly kind: ImageKind,
    readonly name: string,
    readonly version: string,
    readonly url: string,
  ) {}

  addBytes(n: number) {
    this.receivedBytes += n;
    const now = Date.now();
    const last = this.samples[this.samples.length - 1];
    // The first sample stays at zero so the window always spans real progress.
    if (this.samples.length === 1 || now - last[0] >= 100)
      this.samples.push([now, this.receivedBytes]);
    else last[1] = this.receivedBytes;
    while (
      this.samples.length > 2 &&
      now - this.samples[1][0] > SPEED_WINDOW_MS
    )
      this.samples.shift();
  }

  finish(
    state: 'done' | 'failed' | 'cancelled',
    error?: { code: AgentErrorCode; message: string },
  ) {
    this.state = state;
    this.error = error;
    this.finishedAt = new Date();
  }

  get active() {
    return !this.finishedAt;
  }

  speed(): number | null {
    if (this.state !== 'downloading') return null;
    const now = Date.now();
    const [t0, b0] = this.samples[0];
    const elapsed = Math.max(now - t0, 1);
    return Math.round(((this.receivedBytes - b0) * 1000) / elapsed);
  }

  progress(): number | null {
    if (this.totalBytes)
      return Math.min(1, this.receivedBytes / this.totalBytes);
    return this.state === 'done' ? 1 : null;
  }

  view(): DownloadView {
    return {
      id: this.id,
      kind: this.kind,
      name: this.name,
      version: this.version,
      url: this.url,
      state: this.state,
      receivedBytes: this.receivedBytes,
      totalBytes: this.totalBytes,
      progress: this.progress(),
      speedBytesPerSecond: this.speed(),
      startedAt: this.startedAt.toISOString(),
      ...(this.finishedAt ? { finishedAt: this.finishedAt.toISOString() } : {}),
      ...(this.error ? { error: this.error } : {}),
    };
  }
}
