import { TestDatabases } from '@backstage/backend-test-utils';
import { HostStore } from '../hosts/HostStore';
import { testSecrets } from '../__testUtils__/provisionTestBed';
import { insertHost, migrated } from '../billing/__testUtils__/billingFixtures';
import { migrationPlacement, migrationTargets } from './migrationPlacement';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const size = { cpuCores: 2, memoryMb: 2048, storageMb: 4096 };

describe.each(databases.eachSupportedId())(
  'where an instance may move, on %p',
  databaseId => {
    /** The fleet's database, to change what its hosts' agents last said. */
    let fleetDb: Awaited<ReturnType<typeof migrated>>;
    async function fleet() {
      const knex = await migrated(await databases.init(databaseId));
      fleetDb = knex;
      const pat = 'user:default/pat';
      for (const id of ['source', 'roomy', 'snug', 'full', 'asleep'])
        await insertHost(knex, { id, owner: pat });
      await insertHost(knex, { id: 'elsewhere', owner: 'user:default/sam' });
      // Best fit: snug has just enough room left, roomy plenty.
      await knex('hosts')
        .where({ id: 'snug' })
        .update({ used_cpu_cores: 60, used_memory_mb: 1 << 19 });
      await knex('hosts').where({ id: 'full' }).update({ used_cpu_cores: 63 });
      await knex('hosts')
        .where({ id: 'asleep' })
        .update({ power_state: 'off', powered_on: false, state: 'offline' });
      return new HostStore(knex, testSecrets);
    }

    it("offers only the provider's other powered-on hosts with room, best fit first", async () => {
      const hosts = await fleet();
      const instance = { hostId: 'source', size };
      const decision = await migrationPlacement(hosts, instance);
      expect(decision.chosen?.hostId).toBe('snug');
      expect(decision.summary).toBe(
        'Moves to snug, the best fit of 2 hosts with room; it keeps the price locked when it was placed',
      );

      const targets = await migrationTargets(hosts, instance);
      const byId = Object.fromEntries(targets.items.map(t => [t.hostId, t]));
      expect(Object.keys(byId).sort()).toEqual([
        'asleep',
        'full',
        'roomy',
        'snug',
      ]);
      expect(byId.snug).toMatchObject({ fits: true, recommended: true });
      expect(byId.roomy).toMatchObject({ fits: true, recommended: false });
      expect(byId.full).toMatchObject({ fits: false });
      expect(byId.full.detail).toMatch(/^full has only 1 core free/);
      expect(byId.asleep.detail).toBe(
        'asleep is powered off, and a move does not power hosts on',
      );
    });

    it('moves a running instance live only to a host whose agent offers its network', async () => {
      const hosts = await fleet();
      const offers = (id: string, names: string[]) =>
        fleetDb('hosts')
          .where({ id })
          .update({
            last_info: JSON.stringify({
              networks: names.map(name => ({ name, mode: 'nat' })),
            }),
          });
      await offers('snug', ['dmz']);
      await offers('roomy', ['lab', 'dmz']);
      const running = {
        hostId: 'source',
        size,
        state: 'started' as const,
        network: 'lab',
      };
      const decision = await migrationPlacement(hosts, running);
      expect(decision.chosen?.hostId).toBe('roomy');
      expect(decision.rejected).toContainEqual({
        hostId: 'snug',
        hostName: 'snug',
        reason: 'network',
        detail:
          'does not offer the network lab that the running instance keeps',
      });
      const asked = await migrationPlacement(hosts, running, {
        hostId: 'snug',
      });
      expect(asked.chosen).toBeUndefined();
      expect(asked.summary).toBe(
        'Cannot move to snug: it does not offer the network lab that the running instance keeps',
      );
      // Stopped, it moves with its disk and takes the new host's network: snug is the best fit again.
      expect(
        (
          await migrationPlacement(hosts, {
            ...running,
            state: 'stopped' as const,
          })
        ).chosen?.hostId,
      ).toBe('snug');
    });

    it('refuses with a sentence a host of another provider, the same host, or one that is full', async () => {
      const hosts = await fleet();
      const instance = { hostId: 'source', size };
      const refused = async (hostId: string) => {
        const decision = await migrationPlacement(hosts, instance, { hostId });
        expect(decision.chosen).toBeUndefined();
        return decision.summary;
      };
      expect(await refused('elsewhere')).toBe(
        'Host elsewhere is not another host of user:default/pat, the provider of source',
      );
      expect(await refused('source')).toBe('The instance is already on source');
      expect(await refused('full')).toMatch(/full/);
      const asked = await migrationPlacement(hosts, instance, {
        hostId: 'roomy',
      });
      expect(asked.chosen?.hostId).toBe('roomy');
      expect(asked.summary).toBe(
        'Moves to roomy, the host asked for; it keeps the price locked when it was placed',
      );
    });
  },
);
