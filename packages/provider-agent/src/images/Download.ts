import type { AgentApiSchemas } from '../api/apiTypes';
import { randomUUID } from 'node:crypto';
import { AgentErrorCode } from '../errors/AgentError';
import { SpeedMeter } from '../stats/SpeedMeter';
import { ImageKind } from './ImageKind';

export type DownloadView = AgentApiSchemas['Download'];
export type DownloadState = DownloadView['state'];

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
  private readonly meter = new SpeedMeter();

  constructor(
    readonly kind: ImageKind,
    readonly name: string,
    readonly version: string,
    readonly url: string,
  ) {}

  addBytes(n: number) {
    this.receivedBytes += n;
    this.meter.record(this.receivedBytes);
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
    return this.meter.bytesPerSecond(this.receivedBytes);
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
