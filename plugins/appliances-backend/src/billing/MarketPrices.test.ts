import { TestDatabases } from '@backstage/backend-test-utils';
import { PlacementHost } from '@tempest/backstage-plugin-appliances-common';
import { MarketPrices } from './MarketPrices';
import { listOffers } from './offers';
import { T0, migrated } from './__testUtils__/billingFixtures';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

const host = (
  id: string,
  speedPriceMinor: number,
  freeCores: number,
  state: PlacementHost['state'] = 'online',
): PlacementHost => ({
  id,
  name: `host-${id}`,
  state,
  poweredOn: true,
  coreSpeedMhz: 1000,
  capacity: { cpuCores: 8, memoryMb: 8192, storageMb: 100_000 },
  used: { cpuCores: 8 - freeCores, memoryMb: 0, storageMb: 0 },
  pricing: {
    speedUnitMhz: 1000,
    speedPriceMinor,
    memoryUnitMb: 1024,
    memoryPriceMinor: 1,
    runningPeriodSeconds: 60,
    storageUnitMb: 1024,
    storagePriceMinor: 1,
    storagePeriodSeconds: 3600,
  },
});

// 2 cores, 1 GiB memory, 2 GiB storage.
const appliance = {
  id: 'sample.web.1',
  sizeMb: 1024,
  cpus: 2,
  memoryKib: 1024 * 1024,
  disks: [{ sizeMb: 1024 }],
};

describe('listOffers', () => {
  it('shows the hosts placement could use (online, or off with a BMC to power them on), the fitting ones first and cheapest first, with running and storage per hour and the placement choice', () => {
    const hosts = [
      host('a', 5, 8),
      host('b', 1, 1),
      host('c', 2, 8),
      host('d', 1, 8, 'offline'),
      { ...host('e', 3, 8, 'offline'), poweredOn: false, canPowerOn: true },
    ];
    const providers = new Map([['a', 'user:default/pat']]);
    const offers = listOffers(hosts, providers, {
      cpuCores: 2,
      memoryMb: 1024,
      storageMb: 2048,
    });
    expect(offers.map(o => [o.hostId, o.fits])).toEqual([
      ['c', true],
      ['e', true],
      ['a', true],
      ['b', false],
    ]);
    // c: (2 cores × 2 + 1 memory) per minute = 300/h; storage 2 per hour.
    expect(offers[0]).toMatchObject({
      runningPerHourMinor: 300,
      storagePerHourMinor: 2,
      perHourMinor: 302,
    });
    expect(offers.filter(o => o.placementChoice)).toHaveLength(1);
    expect(offers[2].provider).toBe('user:default/pat');
    expect(JSON.stringify(offers)).not.toMatch(/agent|certificate|bmc/i);
  });
});

describe.each(databases.eachSupportedId())('MarketPrices on %p', databaseId => {
  it('averages the hosts that could place each appliance, and keeps the last value marked stale when none can', async () => {
    const knex = await migrated(await databases.init(databaseId));
    const market = new MarketPrices(knex);
    await market.recompute(
      [appliance],
      [host('a', 1, 8), host('b', 3, 8), host('c', 100, 1)],
      T0,
    );
    const [first] = await market.list();
    // a: 2×1+1 = 3/min = 180/h; b: 2×3+1 = 7/min = 420/h; c cannot place it.
    expect(first).toMatchObject({
      applianceId: 'sample.web.1',
      size: { cpuCores: 2, memoryMb: 1024, storageMb: 2048 },
      runningPerHourMinor: 300,
      hosts: 2,
      stale: false,
      computedAt: new Date(T0).toISOString(),
    });
    await market.recompute([appliance], [host('c', 100, 1)], T0 + 60_000);
    const [later] = await market.list('sample.web.1');
    expect(later).toEqual({ ...first, stale: true });
  });
});
