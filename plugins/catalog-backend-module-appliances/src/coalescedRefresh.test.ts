import { coalescedRefresh } from './coalescedRefresh';

describe('coalescedRefresh', () => {
  it('runs once more after a burst of calls during a run, not once per call', async () => {
    let runs = 0;
    let release!: () => void;
    const refresh = coalescedRefresh(async () => {
      runs++;
      if (runs === 1) await new Promise<void>(r => (release = r));
    }, jest.fn());
    const first = refresh();
    const burst = [refresh(), refresh(), refresh()];
    release();
    await Promise.all([first, ...burst]);
    expect(runs).toBe(2);
  });

  it('keeps its gap between runs while changes keep coming', async () => {
    const starts: number[] = [];
    const refresh = coalescedRefresh(
      async () => {
        starts.push(Date.now());
      },
      jest.fn(),
      { minGapMs: 80 },
    );
    await refresh();
    await refresh();
    await refresh();
    expect(starts).toHaveLength(3);
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(75);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(75);
  });

  it('reports a failed run and still runs the next', async () => {
    const onError = jest.fn();
    let runs = 0;
    const refresh = coalescedRefresh(async () => {
      runs++;
      if (runs === 1) throw new Error('backend unreachable');
    }, onError);
    await refresh();
    await refresh();
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'backend unreachable' }),
    );
    expect(runs).toBe(2);
  });
});
