import {
  DrainLimits,
  HostedInstance,
  STOPPED_ONLY,
  planDrains,
} from './planDrains';
import { MINUTE, ago, host, now, policy } from './__testUtils__/testHost';

/** An instance of `cores` cores (1 GB and 1,000 MB storage each), unchanged for `quietFor` minutes. */
const inst = (
  id: string,
  hostId: string,
  cores: number,
  state: HostedInstance['state'] = 'stopped',
  quietFor = 60,
): HostedInstance => ({
  id,
  hostname: id,
  hostId,
  size: {
    cpuCores: cores,
    memoryMb: cores * 1024,
    storageMb: cores * 1000,
  },
  version: 3,
  state,
  updatedAt: ago(quietFor),
});
const running = (id: string, hostId: string, cores: number, quietFor = 60) =>
  inst(id, hostId, cores, 'running', quietFor);
const parked = (id: string, hostId: string, cores: number, quietFor = 60) =>
  inst(id, hostId, cores, 'stopped', quietFor);

const live: DrainLimits = {
  moveRunning: true,
  instanceHoldMs: 15 * MINUTE,
  maxMovesInFlight: 16,
};
const noReserve = { ...policy, reserve: { cpuCores: 0, memoryMb: 0 } };

describe('planDrains, stopped instances only', () => {
  it("moves a host's stopped instances onto busy hosts, best fit, so the host can go off", () => {
    const hosts = [
      host('busy-a', 32, { usedCores: 20 }),
      host('busy-b', 16, { usedCores: 13 }),
      host('parked', 16, { usedCores: 5 }),
    ];
    const plans = planDrains(
      hosts,
      [
        running('app', 'busy-a', 20),
        running('cache', 'busy-b', 13),
        parked('db', 'parked', 3),
        parked('web', 'parked', 2),
      ],
      policy,
      STOPPED_ONLY,
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
    const app = running('app', 'busy', 12);
    // 6 cores do not fit in busy's 4.
    expect(
      planDrains(
        hosts,
        [app, parked('db', 'parked', 6)],
        noReserve,
        STOPPED_ONLY,
        now,
      ),
    ).toEqual([]);
    hosts[1] = host('parked', 16, { usedCores: 2 });
    const small = [app, parked('db', 'parked', 2)];
    expect(planDrains(hosts, small, noReserve, STOPPED_ONLY, now)).toHaveLength(
      1,
    );
    // Something runs on it: without moveRunning it stays.
    hosts[1] = host('parked', 16, { usedCores: 3 });
    expect(
      planDrains(
        hosts,
        [...small, running('job', 'parked', 1)],
        noReserve,
        STOPPED_ONLY,
        now,
      ),
    ).toEqual([]);
    // Stopped 5 minutes ago: within the 15-minute grace.
    hosts[1] = host('parked', 16, { usedCores: 2 });
    expect(
      planDrains(
        hosts,
        [app, parked('db', 'parked', 2, 5)],
        noReserve,
        STOPPED_ONLY,
        now,
      ),
    ).toEqual([]);
  });

  it("keeps the reserve, and never moves instances to another provider's host", () => {
    const hosts = [
      host('busy', 8, { usedCores: 4 }),
      host('parked', 8, { usedCores: 2 }),
    ];
    const stays = running('app', 'busy', 4);
    // Off, only busy's 2 spare cores would stay free: under the reserve of 6.
    expect(
      planDrains(
        hosts,
        [stays, parked('db', 'parked', 2)],
        policy,
        STOPPED_ONLY,
        now,
      ),
    ).toEqual([]);

    const roomy = [
      { ...host('theirs', 32, { usedCores: 1 }), owner: 'user:default/other' },
      host('busy', 32, { usedCores: 1 }),
      host('parked', 8, { usedCores: 2 }),
    ];
    const plans = planDrains(
      roomy,
      [
        running('x', 'theirs', 1),
        running('y', 'busy', 1),
        parked('db', 'parked', 2),
      ],
      policy,
      STOPPED_ONLY,
      now,
    );
    expect(plans[0].moves[0].toHostId).toBe('busy');
  });
});

describe('planDrains, running instances too (moveRunning)', () => {
  // Three half-empty hosts: one can be emptied onto the other two.
  const hosts = () => [
    host('a', 16, { usedCores: 10 }),
    host('b', 16, { usedCores: 8 }),
    host('c', 16, { usedCores: 5 }),
    host('spare', 16, { power: 'off' }),
  ];
  const load = () => [
    running('a1', 'a', 10),
    running('b1', 'b', 8),
    running('c1', 'c', 3),
    parked('c2', 'c', 2),
  ];

  it('empties the host with the least to move onto the fullest hosts that fit, never powering one on', () => {
    const plans = planDrains(hosts(), load(), noReserve, live, now);
    expect(plans).toHaveLength(1);
    expect(plans[0].hostId).toBe('c');
    // Best fit: a (6 free) is fuller than b (8 free); both fit on a.
    expect(
      plans[0].moves.map(m => [m.hostname, m.toHostId, m.running]),
    ).toEqual([
      ['c1', 'a', true],
      ['c2', 'a', false],
    ]);
    expect(plans[0].reason).toMatch(
      /^Everything on it fits on other powered-on hosts \(c1, c2; 1 running, 3 GiB of memory to copy, each guest paused briefly at the switch-over\): moved live to a so that it can be switched off; none changed for 15 min, the host on for at least 0 min; 9 cores/,
    );
    // Without moveRunning, c's running guest keeps it on.
    expect(planDrains(hosts(), load(), noReserve, STOPPED_ONLY, now)).toEqual(
      [],
    );
  });

  it("moves a running guest only to a host whose agent offers the guest's network (unknown networks are tried)", () => {
    const onLab = load().map(i =>
      i.state === 'running' ? { ...i, network: 'lab' } : i,
    );
    // a does not offer lab: c's running guest goes to b (without the check, to a), and its stopped one after it (best fit).
    const elsewhere = new Map([['a', ['dmz']]]);
    const [plan] = planDrains(
      hosts(),
      onLab,
      noReserve,
      live,
      now,
      new Map(),
      elsewhere,
    );
    expect(plan.moves.map(m => [m.hostname, m.toHostId])).toEqual([
      ['c1', 'b'],
      ['c2', 'b'],
    ]);
    // Neither a nor b offers it: c stays on (b's guest may still go to c, whose networks are unknown).
    const stuck = planDrains(
      hosts(),
      onLab,
      noReserve,
      live,
      now,
      new Map(),
      new Map([
        ['a', ['dmz']],
        ['b', ['dmz']],
      ]),
    );
    expect(stuck.map(p => p.hostId)).not.toContain('c');
  });

  it('empties a host only when that frees it whole and the reserve holds after it goes off', () => {
    // 25 cores are free; any host off leaves 9, under a reserve of 10.
    const reserve = { ...policy, reserve: { cpuCores: 10, memoryMb: 0 } };
    expect(planDrains(hosts(), load(), reserve, live, now)).toEqual([]);
    // One of c's 7-core guests fits on b, the other nowhere: c stays (and a's and b's fit nowhere).
    const tight = [
      host('a', 16, { usedCores: 10 }),
      host('b', 16, { usedCores: 8 }),
      host('c', 16, { usedCores: 14 }),
    ];
    expect(
      planDrains(
        tight,
        [
          running('a1', 'a', 10),
          running('b1', 'b', 8),
          running('c1', 'c', 7),
          running('c2', 'c', 7),
        ],
        noReserve,
        live,
        now,
      ),
    ).toEqual([]);
  });

  it('does not churn: recently started or moved guests, hosts just powered on, and a failed drain wait', () => {
    const recent = load().map(i =>
      i.id === 'c1' ? running('c1', 'c', 3, 10) : i,
    );
    // c1 moved 10 minutes ago: c stays (and b's guest may go onto it).
    const emptied = (plans: { hostId: string }[]) => plans.map(p => p.hostId);
    expect(emptied(planDrains(hosts(), recent, noReserve, live, now))).toEqual([
      'b',
    ]);
    const fresh = hosts();
    fresh[2] = host('c', 16, { usedCores: 5, offFor: 30 });
    // c came on 30 minutes ago: within an hour's minimum on-time it is not emptied.
    const minOn = { ...noReserve, minOnMs: 60 * MINUTE };
    expect(emptied(planDrains(fresh, load(), minOn, live, now))).toEqual(['b']);
    expect(emptied(planDrains(fresh, load(), noReserve, live, now))).toEqual([
      'c',
    ]);
    // c's last drain failed 5 minutes ago: not before the hold (15 min) is over.
    const failed = (m: number) => new Map([['c', ago(m)]]);
    expect(
      emptied(planDrains(hosts(), load(), noReserve, live, now, failed(5))),
    ).toEqual(['b']);
    expect(
      emptied(planDrains(hosts(), load(), noReserve, live, now, failed(20))),
    ).toEqual(['c']);
  });

  it('never moves onto a host being emptied, counts it as off already, and caps moves in flight', () => {
    // b is being emptied (b1 is moving away): c's guests may only go to a.
    const emptying = load().map(i =>
      i.id === 'b1' ? inst('b1', 'b', 8, 'moving') : i,
    );
    const small = hosts();
    small[0] = host('a', 16, { usedCores: 14 });
    const loadSmall = emptying.map(i =>
      i.id === 'a1' ? running('a1', 'a', 14) : i,
    );
    expect(planDrains(small, loadSmall, noReserve, live, now)).toEqual([]);
    // c's guests go to a, not b; b counts as off: 6 + 11 - 16 = 1 core stays free.
    const plans = planDrains(hosts(), emptying, noReserve, live, now);
    expect(plans.map(p => [p.hostId, p.moves.map(m => m.toHostId)])).toEqual([
      ['c', ['a', 'a']],
    ]);
    // b's 8 free cores do not count: off, a keeps 1 free, under a reserve of 2.
    const reserve2 = { ...policy, reserve: { cpuCores: 2, memoryMb: 0 } };
    expect(planDrains(hosts(), emptying, reserve2, live, now)).toEqual([]);
    // One move already in flight and a cap of 2: c's two moves wait; a's one goes.
    const capped = planDrains(
      hosts(),
      emptying,
      noReserve,
      { ...live, maxMovesInFlight: 2 },
      now,
    );
    expect(capped.map(p => [p.hostId, p.moves.map(m => m.toHostId)])).toEqual([
      ['a', ['c']],
    ]);
  });

  it('leaves a host alone while it holds capacity its listed instances do not explain (a move arriving)', () => {
    const arriving = hosts();
    arriving[2] = host('c', 16, { usedCores: 9 });
    expect(planDrains(arriving, load(), noReserve, live, now)).toEqual([]);
  });
});
