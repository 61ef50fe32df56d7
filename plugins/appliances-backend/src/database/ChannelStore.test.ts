import { TestDatabases } from '@backstage/backend-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { migrateDatabase } from './migrateDatabase';
import { ChannelStore } from './ChannelStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });

describe.each(databases.eachSupportedId())('ChannelStore on %s', databaseId => {
  async function createStore() {
    const knex = await databases.init(databaseId);
    const db = await migrateDatabase(mockServices.database({ knex }));
    return { knex, store: new ChannelStore(db) };
  }

  it('runs the migrations and round-trips a channel', async () => {
    const { store } = await createStore();
    const created = await store.create({
      id: 'sample',
      url: 'http://localhost:7007/feed.xml',
      owner: 'group:default/tempest-admins',
      trustedKeys: ['-----BEGIN PGP PUBLIC KEY BLOCK-----\n...'],
      refreshMinutes: 30,
      source: 'config',
    });
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await store.get('sample')).toEqual(created);
    expect(await store.list()).toEqual([created]);
    expect(await store.count()).toBe(1);
  });

  it('refuses a duplicate id and keeps the first channel intact', async () => {
    const { store } = await createStore();
    const first = await store.create({
      id: 'dup',
      url: 'http://a.example/feed.xml',
      owner: 'group:default/a',
      trustedKeys: [],
      source: 'api',
    });
    await expect(
      store.create({
        id: 'dup',
        url: 'http://b.example/feed.xml',
        owner: 'group:default/b',
        trustedKeys: [],
        source: 'api',
      }),
    ).rejects.toThrow(ConflictError);
    expect(await store.get('dup')).toEqual(first);
  });

  it('skips migrations when the database service says so', async () => {
    const knex = await databases.init(databaseId);
    await migrateDatabase(
      mockServices.database({ knex, migrations: { skip: true } }),
    );
    expect(await knex.schema.hasTable('channels')).toBe(false);
  });
});
