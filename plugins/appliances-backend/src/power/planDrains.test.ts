import { ParkedInstance, planDrains } from './planDrains';
import { ago, host, now, policy } from './__testUtils__/testHost';

/** A stopped instance of `cores` cores (1 GB and 1,000 MB storage each), unchanged for `quietFor` minutes. */
const parked = (
  id: string,
  hostId: string,
  cores: number,
  quietFor = 60,
): ParkedInstance => ({
  id,
  hostname: id,
  hostId,
  size: {
    cpuCores: cores,
    memoryMb: cores * 1024,
    storageMb: cores * 1000,
  },
  version: 3,
  updatedAt: ago(quietFor),
});

describe('planDrains', () => {
  it("moves a host's stopped instances onto busy hosts, best fit, so the host can go off", () => {
    const hosts = [
      host('busy-a', 32, { usedCores: 20 }),
      host('busy-b', 16, { usedCores: 13 }),
      host('parked', 16, { usedCores: 5 }),
    ];
    const plans = planDrains(
      hosts,
      [parked('db', 'parked', 3), parked('web', 'parked', 2)],
      new Set(['busy-a', 'busy-b']),
      policy,
      now,
    );
    expect(plans).toHaveLength(1);
    expect(plans[0].hostId).toBe('parked');
    // busy-b has 3 cores free: the 3-core instance fills it; the 2-core one goes to busy-a.
    expect(plans[0].moves.map(m => [m.hostname, m.toHostId])).toEqual([
      ['db', 'busy-b'],
      ['web', 'busy-a'],
    ]);
    expect(plans[0].reason).toMatch(
      /^Only stopped instances for at least 15 min \(db, web\): moved to busy-b, busy-a so that it can be switched off; 10 cores/,
    );
  });

  it('leaves a host alone while anything on it runs, changed within the grace, or would not fit', () => {
    const hosts = [
      host('busy', 16, { usedCores: 12 }),
      host('parked', 16, { usedCores: 6 }),
    ];
    const quiet = [parked('db', 'parked', 6)];
    const busy = new Set(['busy']);
    const noReserve = { ...policy, reserve: { cpuCores: 0, memoryMb: 0 } };
    // 6 cores do not fit in busy's 4.
    expect(planDrains(hosts, quiet, busy, noReserve, now)).toEqual([]);
    const small = [parked('db', 'parked', 2)];
    hosts[1] = host('parked', 16, { usedCores: 2 });
    expect(planDrains(hosts, small, busy, noReserve, now)).toHaveLength(1);
    // Something runs on it.
    expect(
      planDrains(hosts, small, new Set(['busy', 'parked']), noReserve, now),
    ).toEqual([]);
    // Stopped 5 minutes ago: within the 15-minute grace.
    expect(
      planDrains(hosts, [parked('db', 'parked', 2, 5)], busy, noReserve, now),
    ).toEqual([]);
  });

  it("keeps the reserve, and never moves instances to another provider's host", () => {
    const hosts = [
      host('busy', 8, { usedCores: 4 }),
      host('parked', 8, { usedCores: 2 }),
    ];
    const busy = new Set(['busy']);
    // Off, only busy's 2 spare cores would stay free: under the reserve of 6.
    expect(
      planDrains(hosts, [parked('db', 'parked', 2)], busy, policy, now),
    ).toEqual([]);

    const roomy = [
      { ...host('theirs', 32, { usedCores: 1 }), owner: 'user:default/other' },
      host('busy', 32, { usedCores: 1 }),
      host('parked', 8, { usedCores: 2 }),
    ];
    const plans = planDrains(
      roomy,
      [parked('db', 'parked', 2)],
      new Set(['busy', 'theirs']),
      policy,
      now,
    );
    expect(plans[0].moves[0].toHostId).toBe('busy');
  });
});
