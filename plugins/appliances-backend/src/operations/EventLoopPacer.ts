import { performance } from 'node:perf_hooks';

export type EventLoopPacerOptions = {
  /** Event-loop utilization (0–1) above which background work waits. Default 0.7. */
  busyAbove?: number;
  /** How long one wait lasts before the loop is looked at again. Default 25 ms. */
  pauseMs?: number;
  /**
   * The gap between two turns handed out while the loop is busy. Under load
   * that does not let up it bounds how often background work runs: at the
   * default, four provisioning steps a second, the rest of the loop for
   * requests. Default 250 ms.
   */
  busyGapMs?: number;
  /** The longest a turn waits, so background work is slowed but never starved. Default 2 s. */
  maxWaitMs?: number;
  /** How often utilization is sampled. Default 50 ms. */
  sampleMs?: number;
  /** The utilization source; tests pass their own. */
  utilization?: () => number;
};

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Lets background work (provisioning steps) give way to requests: the API and
 * the runner share one event loop, and a runner that took every spare moment
 * would make users wait for their 202s. A turn waits while the loop has been
 * busier than `busyAbove` over the last sample.
 */
export class EventLoopPacer {
  private readonly busyAbove: number;
  private readonly pauseMs: number;
  private readonly busyGapMs: number;
  private readonly maxWaitMs: number;
  private readonly utilization: () => number;
  private readonly timer?: NodeJS.Timeout;
  private current = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: EventLoopPacerOptions = {}) {
    this.busyAbove = options.busyAbove ?? 0.7;
    this.pauseMs = options.pauseMs ?? 25;
    this.busyGapMs = options.busyGapMs ?? 250;
    this.maxWaitMs = options.maxWaitMs ?? 2000;
    if (options.utilization) {
      this.utilization = options.utilization;
    } else {
      let last = performance.eventLoopUtilization();
      this.utilization = () => this.current;
      this.timer = setInterval(() => {
        const now = performance.eventLoopUtilization();
        this.current = performance.eventLoopUtilization(now, last).utilization;
        last = now;
      }, options.sampleMs ?? 50);
      this.timer.unref();
    }
  }

  /** The utilization last sampled (0–1). */
  get load(): number {
    return this.utilization();
  }

  /**
   * Resolves at once when the loop has room. While it is busy, turns are
   * handed out one at a time, `busyGapMs` apart, each once the loop has room
   * or after `maxWaitMs`: waiters let through together would arrive as one
   * burst.
   * Returns the time waited.
   */
  async turn(): Promise<number> {
    if (this.load <= this.busyAbove) return 0;
    const started = Date.now();
    const mine = this.queue.then(async () => {
      while (
        this.load > this.busyAbove &&
        Date.now() - started < this.maxWaitMs
      ) {
        await sleep(this.pauseMs);
      }
    });
    this.queue = mine.then(() => sleep(this.busyGapMs));
    await mine;
    return Date.now() - started;
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
  }
}
