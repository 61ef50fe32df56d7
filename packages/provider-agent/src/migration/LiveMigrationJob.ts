import type { AgentApiSchemas } from '../api/apiTypes';
import { randomUUID } from 'node:crypto';
import { LiveMoveProgress } from '../hypervisor/Hypervisor';
import { SpeedMeter } from '../stats/SpeedMeter';

export type LiveMigrationView = AgentApiSchemas['LiveMigration'];
export type LiveMigrationRequest = AgentApiSchemas['LiveMigrationRequest'];

/** One running domain on its way to another agent: progress, speed and heartbeat, readable while it runs. */
export class LiveMigrationJob {
  readonly id = randomUUID();
  readonly controller = new AbortController();
  state: LiveMigrationView['state'] = 'migrating';
  bytesDone = 0;
  bytesTotal: number | null = null;
  downtimeMs: number | null = null;
  heartbeatAt = new Date();
  readonly startedAt = new Date();
  finishedAt?: Date;
  error?: { code: string; message: string };
  /** Settles when the migration has finished and cleaned up, whatever the outcome. */
  done: Promise<void> = Promise.resolve();
  private readonly meter = new SpeedMeter();

  constructor(
    readonly domain: string,
    readonly destination: { agentUrl: string; hostId: string },
  ) {}

  /** A sign of life from the hypervisor, with its latest figures. */
  progress(p: LiveMoveProgress) {
    if (!this.active) return;
    this.heartbeatAt = new Date();
    this.bytesDone = Math.max(this.bytesDone, p.bytesDone);
    this.bytesTotal = p.bytesTotal;
    this.meter.record(this.bytesDone);
  }

  finish(
    state: 'succeeded' | 'failed' | 'cancelled',
    error?: { code: string; message: string },
  ) {
    this.state = state;
    this.error = error;
    this.finishedAt = new Date();
  }

  get active() {
    return !this.finishedAt;
  }

  view(): LiveMigrationView {
    let progress: number | null = null;
    if (this.state === 'succeeded') progress = 1;
    else if (this.bytesTotal)
      progress = Math.min(1, this.bytesDone / this.bytesTotal);
    return {
      id: this.id,
      domain: this.domain,
      destination: this.destination,
      state: this.state,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      progress,
      speedBytesPerSecond:
        this.state === 'migrating'
          ? this.meter.bytesPerSecond(this.bytesDone)
          : null,
      downtimeMs: this.downtimeMs,
      heartbeatAt: this.heartbeatAt.toISOString(),
      startedAt: this.startedAt.toISOString(),
      ...(this.finishedAt ? { finishedAt: this.finishedAt.toISOString() } : {}),
      ...(this.error ? { error: this.error } : {}),
    };
  }
}
