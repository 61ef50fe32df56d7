import { HostPricing, MAX_MINOR } from '../pricing/pricing';
import { PlacementHost, placeHost } from './placeHost';

const pricing: HostPricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 1,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 1024,
  storagePriceMinor: 0,
  storagePeriodSeconds: 86400,
};

function host(
  id: string,
  overrides: Partial<PlacementHost> = {},
): PlacementHost {
  return {
    id,
    name: `host-${id}`,
    state: 'online',
    poweredOn: true,
    coreSpeedMhz: 1000,
    capacity: { cpuCores: 8, memoryMb: 16384, storageMb: 100000 },
    used: { cpuCores: 0, memoryMb: 0, storageMb: 0 },
    pricing,
    ...overrides,
  };
}

const small = { cpuCores: 2, memoryMb: 2048, storageMb: 10000 };

describe('placeHost', () => {
  it('packs onto the fullest host that still fits (best fit)', () => {
    const decision = placeHost(
      [
        host('a', { used: { cpuCores: 2, memoryMb: 2048, storageMb: 10000 } }),
        host('b', { used: { cpuCores: 6, memoryMb: 12288, storageMb: 80000 } }),
        host('c'),
      ],
      { demand: small },
    );
    expect(decision.chosen?.hostId).toBe('b');
    expect(decision.candidates).toBe(3);
    expect(decision.summary).toBe(
      'Placed on host-b for €0.04 per hour: the best fit of the 3 hosts that can run it.',
    );
  });

  it('prefers a powered-on host, and powers one on only when nothing else fits', () => {
    const off = host('off', {
      poweredOn: false,
      used: { cpuCores: 6, memoryMb: 0, storageMb: 0 },
    });
    expect(placeHost([off, host('on')], { demand: small }).chosen?.hostId).toBe(
      'on',
    );

    const full = host('on', {
      used: { cpuCores: 8, memoryMb: 0, storageMb: 0 },
    });
    const decision = placeHost([off, full], { demand: small });
    expect(decision.chosen).toMatchObject({ hostId: 'off', poweredOn: false });
    expect(decision.summary).toMatch(/host-off \(powered on for it\)/);
    expect(decision.rejected).toEqual([
      expect.objectContaining({
        hostId: 'on',
        reason: 'cpu',
        detail: 'has only 0 cores free',
      }),
    ]);
  });

  it('powers on an offline, powered-off host it can reach, unless it was tried already', () => {
    const full = host('on', {
      used: { cpuCores: 8, memoryMb: 0, storageMb: 0 },
    });
    const off = (id: string, canPowerOn: boolean) =>
      host(id, { state: 'offline', poweredOn: false, canPowerOn });
    expect(
      placeHost([full, off('a', true)], { demand: small }).chosen,
    ).toMatchObject({ hostId: 'a', poweredOn: false });
    const noBmc = placeHost([full, off('b', false)], { demand: small });
    expect(noBmc.chosen).toBeUndefined();
    expect(noBmc.summary).toMatch(
      /host-b is powered off and has no BMC Tempest can reach/,
    );
    const next = placeHost([full, off('a', true), off('c', true)], {
      demand: small,
      excludeHostIds: ['a'],
    });
    expect(next.chosen?.hostId).toBe('c');
    expect(next.rejected).toContainEqual(
      expect.objectContaining({ hostId: 'a', reason: 'tried' }),
    );
  });

  it('skips offline and maintenance hosts and says why', () => {
    const decision = placeHost(
      [host('x', { state: 'offline' }), host('y', { state: 'maintenance' })],
      { demand: small },
    );
    expect(decision.chosen).toBeUndefined();
    expect(decision.rejected.map(r => r.reason)).toEqual([
      'offline',
      'maintenance',
    ]);
    expect(decision.summary).toBe(
      'No host can run 2 cores, 2,048 MB memory, 10,000 MB storage: host-x is offline; host-y is in maintenance.',
    );
  });

  it('rejects each resource that does not fit', () => {
    const decision = placeHost(
      [
        host('m', { used: { cpuCores: 0, memoryMb: 15000, storageMb: 0 } }),
        host('s', { used: { cpuCores: 0, memoryMb: 0, storageMb: 95000 } }),
      ],
      { demand: small },
    );
    expect(decision.rejected.map(r => [r.hostId, r.reason])).toEqual([
      ['m', 'memory'],
      ['s', 'storage'],
    ]);
  });

  it("honours the buyer's maximum hourly price", () => {
    const cheap = host('cheap');
    const dear = host('dear', {
      pricing: { ...pricing, speedPriceMinor: 10 },
      used: { cpuCores: 6, memoryMb: 14336, storageMb: 90000 },
    });
    // cheap: 2 speed chunks + 2 memory chunks = 4/h; dear: 20 + 2 = 22/h
    const decision = placeHost([cheap, dear], {
      demand: small,
      maxPricePerHourMinor: 10,
    });
    expect(decision.chosen).toMatchObject({
      hostId: 'cheap',
      pricePerHourMinor: 4,
    });
    expect(decision.rejected).toEqual([
      expect.objectContaining({
        hostId: 'dear',
        reason: 'price',
        detail: 'costs €0.22 per hour, over the limit of €0.10',
      }),
    ]);
    const tooDear = placeHost([dear], {
      demand: small,
      maxPricePerHourMinor: 3,
      currency: 'JPY',
    });
    expect(tooDear.chosen).toBeUndefined();
    expect(tooDear.summary).toBe(
      'No host can run 2 cores, 2,048 MB memory, 10,000 MB storage within ¥3 per hour: host-dear costs ¥22 per hour, over the limit of ¥3.',
    );
  });

  it('places on an explicitly chosen host or nowhere', () => {
    const hosts = [
      host('a', { used: { cpuCores: 6, memoryMb: 0, storageMb: 0 } }),
      host('b'),
    ];
    const picked = placeHost(hosts, { demand: small, hostId: 'b' });
    expect(picked.chosen?.hostId).toBe('b');
    // Other hosts fit too: the summary does not call it the only one.
    expect(picked.summary).toMatch(/: the host picked for it\.$/);
    const full = placeHost(
      [
        host('a'),
        host('b', { used: { cpuCores: 8, memoryMb: 0, storageMb: 0 } }),
      ],
      { demand: small, hostId: 'b' },
    );
    expect(full.chosen).toBeUndefined();
    expect(full.rejected).toEqual([
      expect.objectContaining({ hostId: 'b', reason: 'cpu' }),
    ]);
    expect(placeHost(hosts, { demand: small, hostId: 'zzz' }).summary).toMatch(
      /There is no host 'zzz'/,
    );
  });

  it('locks the chosen host price', () => {
    const decision = placeHost([host('a')], { demand: small });
    expect(decision.chosen?.price).toEqual({
      runningPriceMinor: 4,
      runningPeriodSeconds: 3600,
      storagePriceMinor: 0,
      storagePeriodSeconds: 86400,
    });
  });

  it('passes by a host priced past what can be charged, and places on the others', () => {
    const absurd = host('absurd', {
      pricing: { ...pricing, memoryPriceMinor: MAX_MINOR },
      // The fullest host: best fit would choose it.
      used: { cpuCores: 6, memoryMb: 12288, storageMb: 80000 },
    });
    for (const maxPricePerHourMinor of [undefined, 100, MAX_MINOR]) {
      const decision = placeHost([absurd, host('sane')], {
        demand: small,
        maxPricePerHourMinor,
      });
      expect(decision.chosen?.hostId).toBe('sane');
      expect(Number.isSafeInteger(decision.chosen?.pricePerHourMinor)).toBe(
        true,
      );
      expect(decision.rejected).toEqual([
        expect.objectContaining({ hostId: 'absurd', reason: 'price' }),
      ]);
    }
  });
});
