const WINDOW_MS = 3_000;

/** A transfer's speed over its last few seconds, from the running total of bytes. */
export class SpeedMeter {
  // The first sample stays at zero so the window always spans real progress.
  private samples: Array<[number, number]> = [[Date.now(), 0]];

  /** Records the bytes moved so far (samples closer than 100 ms are merged). */
  record(total: number) {
    const now = Date.now();
    const last = this.samples[this.samples.length - 1];
    if (this.samples.length === 1 || now - last[0] >= 100)
      this.samples.push([now, total]);
    else last[1] = total;
    while (this.samples.length > 2 && now - this.samples[1][0] > WINDOW_MS)
      this.samples.shift();
  }

  /** Bytes per second from the oldest sample in the window until now. */
  bytesPerSecond(total: number): number {
    const [t0, b0] = this.samples[0];
    return Math.round(((total - b0) * 1000) / Math.max(Date.now() - t0, 1));
  }
}
