import { channelDue } from './channelDue';

const at = (s: string) => new Date(`2026-11-23T${s}Z`).toISOString();

describe('channelDue', () => {
  it('fetches a channel never fetched at once', () => {
    expect(
      channelDue({
        createdAt: at('10:00:00'),
        status: { itemErrors: [] },
      }).getTime(),
    ).toBe(0);
  });

  it('fetches a healthy channel again after its refresh period (60 min unless set)', () => {
    const status = {
      lastFetchAt: at('10:00:00'),
      lastSuccessAt: at('10:00:00'),
      result: 'ok' as const,
      itemErrors: [],
    };
    expect(
      channelDue({ createdAt: at('09:00:00'), status }).toISOString(),
    ).toBe(at('11:00:00'));
    expect(
      channelDue({
        createdAt: at('09:00:00'),
        refreshMinutes: 10,
        status,
      }).toISOString(),
    ).toBe(at('10:10:00'));
  });

  it('tries a channel that failed at start-up again within 15 s', () => {
    const status = {
      lastFetchAt: at('10:00:03'),
      result: 'failed' as const,
      error: 'ECONNREFUSED',
      itemErrors: [],
    };
    expect(
      channelDue({ createdAt: at('10:00:00'), status }).toISOString(),
    ).toBe(at('10:00:18'));
  });

  it('backs off with the length of the outage, up to 5 minutes', () => {
    const failing = (since: string, last: string) => ({
      createdAt: at('08:00:00'),
      status: {
        lastFetchAt: at(last),
        lastSuccessAt: at(since),
        result: 'failed' as const,
        itemErrors: [],
      },
    });
    // Down for 4 minutes: next try in 1 minute.
    expect(channelDue(failing('10:00:00', '10:04:00')).toISOString()).toBe(
      at('10:05:00'),
    );
    // Down for hours: every 5 minutes.
    expect(channelDue(failing('06:00:00', '10:00:00')).toISOString()).toBe(
      at('10:05:00'),
    );
  });

  it('never waits longer than the refresh period when that is shorter', () => {
    const status = {
      lastFetchAt: at('10:00:00'),
      lastSuccessAt: at('06:00:00'),
      result: 'failed' as const,
      itemErrors: [],
    };
    expect(
      channelDue({
        createdAt: at('06:00:00'),
        refreshMinutes: 1,
        status,
      }).toISOString(),
    ).toBe(at('10:01:00'));
  });
});
