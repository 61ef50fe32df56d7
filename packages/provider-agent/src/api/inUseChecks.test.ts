import fs from 'node:fs/promises';
import path from 'node:path';
import { emptyQcow2 } from '../disks/qcow2';
import { startChannel } from '../testing/channelFixture';
import { installImage } from '../testing/installImage';
import { startTestAgent, TestAgent } from '../testing/startTestAgent';

/**
 * The checks that keep a layer or disk while something sits on it read
 * directories. Only "not found" may count as "nothing there": any other
 * failure must refuse the removal, not let it through.
 */
jest.setTimeout(60_000);

describe('in-use checks when the data directory cannot be read', () => {
  let t: TestAgent;
  let channel: Awaited<ReturnType<typeof startChannel>>;
  const realReaddir = fs.readdir;
  let failing: string | undefined;

  const install = (kind: 'os' | 'appliance', name: string, body: any) =>
    installImage(t, kind, name, body);

  beforeAll(async () => {
    channel = await startChannel();
    t = await startTestAgent();
    await install(
      'os',
      'debian',
      await channel.publish('/os.qcow2', emptyQcow2(1024 ** 3)),
    );
    await install(
      'appliance',
      'mail',
      await channel.publish('/mail.qcow2', emptyQcow2(2 * 1024 ** 3), {
        os: 'debian',
      }),
    );
    const disk = await t.client.POST('/v1/disks', {
      body: { name: 'mail-1', appliance: 'mail' },
    });
    const domain = await t.client.PUT('/v1/domains/{name}', {
      params: { path: { name: 'mail-1' } },
      body: { vcpus: 1, memoryMiB: 256, disk: 'mail-1' },
    });
    if (disk.response.status !== 201 || domain.response.status !== 201)
      throw new Error('The disk and domain the checks protect were not made');
    // An I/O error (not ENOENT) on one directory the checks read.
    jest.spyOn(fs, 'readdir').mockImplementation(((
      dir: any,
      ...rest: any[]
    ) => {
      if (failing && path.resolve(String(dir)) === failing) {
        return Promise.reject(
          Object.assign(new Error(`EIO: i/o error, scandir '${dir}'`), {
            code: 'EIO',
          }),
        );
      }
      return (realReaddir as any)(dir, ...rest);
    }) as any);
  });
  afterEach(() => {
    failing = undefined;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
    await channel.close();
  });

  const data = (...parts: string[]) => path.join(t.config.dataDir, ...parts);

  it.each([
    {
      what: 'an OS image an appliance sits on',
      unreadable: ['images', 'appliance'],
      remove: () =>
        t.client.DELETE('/v1/images/{kind}/{name}', {
          params: { path: { kind: 'os', name: 'debian' } },
        }),
      kept: ['images', 'os', 'debian'],
    },
    {
      what: 'an appliance image a disk sits on',
      unreadable: ['disks'],
      remove: () =>
        t.client.DELETE('/v1/images/{kind}/{name}', {
          params: { path: { kind: 'appliance', name: 'mail' } },
        }),
      kept: ['images', 'appliance', 'mail'],
    },
    {
      what: 'a disk a domain is attached to',
      unreadable: ['domains'],
      remove: () =>
        t.client.DELETE('/v1/disks/{name}', {
          params: { path: { name: 'mail-1' } },
        }),
      kept: ['disks', 'mail-1', 'disk.json'],
    },
  ])('refuses to remove $what', async ({ unreadable, remove, kept }) => {
    failing = data(...unreadable);
    const res = await remove();
    expect(res.response.status).toBe(500);
    expect(res.error).toMatchObject({ error: { code: 'INTERNAL' } });
    failing = undefined;
    await expect(fs.stat(data(...kept))).resolves.toBeDefined();
  });
});
