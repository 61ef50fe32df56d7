import { segmentsOf } from './SegmentFeed';

const t = (minute: number) => Date.UTC(2026, 11, 3, 9, minute);

const row = (state: string, updatedMinute: number) => ({
  id: 'i-1',
  owner: 'user:default/buyer',
  cost_center: null,
  host_id: 'h-1',
  state,
  started_at: null,
  priced_at: t(0),
  running_price_minor: 840,
  running_period_seconds: 3600,
  storage_price_minor: 10,
  storage_period_seconds: 3600,
  updated_at: t(updatedMinute),
});

const events = (...moves: Array<[number, string]>) =>
  moves.map(([minute, to_state], i) => ({
    id: i + 1,
    instance_id: 'i-1',
    at: t(minute),
    to_state,
  }));

const running = (segments: ReturnType<typeof segmentsOf>) =>
  segments.filter(s => s.kind === 'running').map(s => [s.startMs, s.endMs]);

describe('segmentsOf', () => {
  it('keeps charging a running instance while it moves live, in one run', () => {
    const segments = segmentsOf(
      row('stopped', 40),
      events(
        [1, 'started'],
        [10, 'migrating'],
        [12, 'started'],
        [40, 'stopped'],
      ),
    );
    expect(running(segments)).toEqual([[t(1), t(40)]]);
  });

  it('keeps the run open while the move is still under way', () => {
    const segments = segmentsOf(
      row('migrating', 10),
      events([1, 'started'], [10, 'migrating']),
    );
    expect(running(segments)).toEqual([[t(1), undefined]]);
  });

  it('charges no running time for a stopped instance that moves, nor while it is stopped', () => {
    const segments = segmentsOf(
      row('started', 50),
      events(
        [1, 'started'],
        [5, 'stopped'],
        [10, 'migrating'],
        [12, 'stopped'],
        [50, 'started'],
      ),
    );
    expect(running(segments)).toEqual([
      [t(1), t(5)],
      [t(50), undefined],
    ]);
  });

  it('ends the run when a live move leaves the instance stopped', () => {
    const segments = segmentsOf(
      row('stopped', 12),
      events([1, 'started'], [10, 'migrating'], [12, 'stopped']),
    );
    expect(running(segments)).toEqual([[t(1), t(12)]]);
  });
});
