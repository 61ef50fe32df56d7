import { Host } from '../hosts/HostStore';
import { host, now, policy } from './__testUtils__/testHost';
import { planConsolidation } from './PowerConsolidator';

const decide = (hosts: Host[]) =>
  planConsolidation(hosts, policy, now).map(d => [d.hostName, d.action]);

describe('planConsolidation', () => {
  it('powers on the smallest host that brings free capacity back to the reserve, not the one off longest', () => {
    // 1 core free: below the lower band of 2, 5 short of the reserve of 6.
    const busy = host('busy', 16, { usedCores: 15 });
    expect(
      decide([
        busy,
        host('big', 64, { power: 'off', offFor: 300 }),
        host('tiny', 4, { power: 'off', offFor: 200 }),
        host('small', 8, { power: 'off', offFor: 100 }),
      ]),
    ).toEqual([['small', 'on']]);
  });

  it('powers on the biggest host when none restores the reserve alone, and the one off longest among equals', () => {
    const busy = host('busy', 16, { usedCores: 16 });
    expect(
      decide([
        busy,
        host('tiny-1', 2, { power: 'off' }),
        host('tiny-2', 4, { power: 'off' }),
      ]),
    ).toEqual([['tiny-2', 'on']]);
    expect(
      decide([
        busy,
        host('newer', 32, { power: 'off', offFor: 10 }),
        host('older', 32, { power: 'off', offFor: 90 }),
      ]),
    ).toEqual([['older', 'on']]);
  });

  it('powers off the biggest idle host the reserve allows, keeping the least capacity on', () => {
    // 4 cores free on the busy host; idle hosts of 8 and 32 cores.
    // Either alone could go (36 or 12 left ≥ 6) but not both (4 left).
    const hosts = [
      host('busy', 16, { usedCores: 12 }),
      host('idle-small', 8, { emptyFor: 60 }),
      host('idle-big', 32, { emptyFor: 20 }),
    ];
    expect(decide(hosts)).toEqual([['idle-big', 'off']]);
    // Among equal hosts the one empty longest goes first.
    expect(
      decide([
        host('busy', 16, { usedCores: 12 }),
        host('idle-a', 8, { emptyFor: 20 }),
        host('idle-b', 8, { emptyFor: 60 }),
      ]),
    ).toEqual([['idle-b', 'off']]);
  });

  it('never powers off a host with instances or one inside its grace period', () => {
    expect(
      decide([
        host('busy', 32, { usedCores: 1 }),
        host('fresh', 32, { emptyFor: 10 }),
        host('busy-2', 32, { usedCores: 1 }),
      ]),
    ).toEqual([]);
  });
});
