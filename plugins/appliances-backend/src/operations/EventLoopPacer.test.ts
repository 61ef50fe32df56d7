import { EventLoopPacer } from './EventLoopPacer';

describe('EventLoopPacer', () => {
  it('lets work through at once while the loop has room', async () => {
    const pacer = new EventLoopPacer({ utilization: () => 0.3 });
    expect(await pacer.turn()).toBeLessThan(20);
  });

  it('holds work back while the loop is busy and lets it go when it calms down', async () => {
    let busy = 0.95;
    const pacer = new EventLoopPacer({
      utilization: () => busy,
      pauseMs: 5,
      maxWaitMs: 5000,
    });
    setTimeout(() => {
      busy = 0.5;
    }, 120);
    const waited = await pacer.turn();
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(2000);
  });

  it('never holds work back longer than its limit, however busy the loop stays', async () => {
    const pacer = new EventLoopPacer({
      utilization: () => 1,
      pauseMs: 5,
      maxWaitMs: 100,
    });
    const waited = await pacer.turn();
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(1000);
  });

  it('hands out turns one at a time while the loop is busy', async () => {
    let busy = 0.95;
    const pacer = new EventLoopPacer({
      utilization: () => busy,
      pauseMs: 5,
      busyGapMs: 20,
      maxWaitMs: 5000,
    });
    const done: number[] = [];
    const t0 = Date.now();
    const turns = Array.from({ length: 4 }, () =>
      pacer.turn().then(() => done.push(Date.now() - t0)),
    );
    setTimeout(() => {
      busy = 0.5;
    }, 50);
    await Promise.all(turns);
    // Not all at once when the loop calms down: each a pause after the one before.
    for (let i = 1; i < done.length; i++)
      expect(done[i] - done[i - 1]).toBeGreaterThanOrEqual(15);
  });

  it('under load that does not let up, hands out one turn per gap', async () => {
    const pacer = new EventLoopPacer({
      utilization: () => 1,
      pauseMs: 5,
      busyGapMs: 80,
      maxWaitMs: 0,
    });
    const done: number[] = [];
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 4 }, () =>
        pacer.turn().then(() => done.push(Date.now() - t0)),
      ),
    );
    // Past their limit the waiters are not let through together: requests keep the loop between turns.
    for (let i = 1; i < done.length; i++)
      expect(done[i] - done[i - 1]).toBeGreaterThanOrEqual(75);
  });

  it('measures the real loop: a blocked loop reads as busy', async () => {
    const pacer = new EventLoopPacer({ sampleMs: 20, maxWaitMs: 0 });
    try {
      const until = Date.now() + 150;
      while (Date.now() < until) {
        // keep the loop busy
      }
      // The overdue sample runs before this timer, in the same timers phase.
      await new Promise(resolve => setTimeout(resolve, 0));
      expect(pacer.load).toBeGreaterThan(0.5);
    } finally {
      pacer.stop();
    }
  });
});
