import type { AgentApiSchemas } from '../api/apiTypes';
import { randomUUID } from 'node:crypto';
import { AgentErrorCode } from '../errors/AgentError';
import { SpeedMeter } from '../stats/SpeedMeter';

export type ImportView = AgentApiSchemas['Import'];
export type ImportRequest = AgentApiSchemas['ImportRequest'];

/** One disk arriving from another agent: progress, speed and heartbeat, readable while it runs. */
export class ImportJob {
  readonly id = randomUUID();
  readonly controller = new AbortController();
  state: ImportView['state'] = 'transferring';
  bytesDone = 0;
  bytesTotal: number | null = null;
  heartbeatAt = new Date();
  readonly startedAt = new Date();
  finishedAt?: Date;
  error?: { code: AgentErrorCode; message: string };
  /** Settles when the import has finished and cleaned up, whatever the outcome. */
  done: Promise<void> = Promise.resolve();
  private readonly meter = new SpeedMeter();

  constructor(
    readonly disk: string,
    readonly source: { agentUrl: string; hostId: string },
  ) {}

  setBytes(bytes: number) {
    this.bytesDone = bytes;
    this.meter.record(bytes);
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

  view(): ImportView {
    const speed =
      this.state === 'transferring'
        ? this.meter.bytesPerSecond(this.bytesDone)
        : null;
    let progress: number | null = null;
    if (this.state === 'done') progress = 1;
    else if (this.bytesTotal)
      progress = Math.min(1, this.bytesDone / this.bytesTotal);
    return {
      id: this.id,
      disk: this.disk,
      source: this.source,
      state: this.state,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      progress,
      speedBytesPerSecond: speed,
      heartbeatAt: this.heartbeatAt.toISOString(),
      startedAt: this.startedAt.toISOString(),
      ...(this.finishedAt ? { finishedAt: this.finishedAt.toISOString() } : {}),
      ...(this.error ? { error: this.error } : {}),
    };
  }
}
