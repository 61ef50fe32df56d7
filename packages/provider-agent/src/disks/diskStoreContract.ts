/* eslint-disable jest/no-export */ // a contract suite is exported for each driver's test file to run
import fs from 'node:fs/promises';
import path from 'node:path';
import { agentErrorCode as code } from '../testing/agentErrorCode';
import { DiskStore } from './DiskStore';
import { emptyQcow2 } from './qcow2';

const GiB = 1024 ** 3;

/** Writes a real qcow2 image as a download would leave it. */
async function writeImage(file: string, sizeBytes = GiB, backingFile?: string) {
  await fs.writeFile(file, emptyQcow2(sizeBytes, backingFile));
}

export interface DiskStoreFixture {
  store: DiskStore;
  /** The data directory the store is confined to. */
  root: string;
}

/** The behaviour every DiskStore must share: OS → appliance → deployment → instance. */
export function diskStoreContract(fixture: () => DiskStoreFixture) {
  const layers = async (prefix: string) => {
    const { root } = fixture();
    const dir = path.join(root, prefix);
    await fs.mkdir(dir, { recursive: true });
    const p = (n: string) => path.join(dir, n);
    await writeImage(p('os.qcow2'));
    // As built by catalog/images: the appliance layer names its OS layer by file name.
    await writeImage(p('app.qcow2'), GiB, 'os.qcow2');
    return { p, os: p('os.qcow2'), app: p('app.qcow2') };
  };

  it('adopts an OS image standing alone and an appliance image over it', async () => {
    const { store } = fixture();
    const { os, app } = await layers('adopt');
    const base = await store.adoptImage(os, {});
    expect(base).toMatchObject({ path: os, format: 'qcow2' });
    expect(base.backingPath).toBeUndefined();
    await store.adoptImage(app, { backingPath: os });
    expect((await store.chain(app)).map(l => l.path)).toEqual([app, os]);
  });

  it('builds the four-layer chain with absolute backing paths', async () => {
    const { store } = fixture();
    const { p, os, app } = await layers('chain');
    await store.adoptImage(os, {});
    await store.adoptImage(app, { backingPath: os });
    await store.createOverlay(p('deploy.qcow2'), app);
    const top = await store.createOverlay(
      p('instance.qcow2'),
      p('deploy.qcow2'),
      { sizeBytes: 2 * 1024 ** 3 },
    );
    expect(top.virtualSizeBytes).toBe(2 * 1024 ** 3);
    const chain = await store.chain(p('instance.qcow2'));
    expect(chain.map(l => l.path)).toEqual([
      p('instance.qcow2'),
      p('deploy.qcow2'),
      app,
      os,
    ]);
    expect(chain.map(l => l.backingPath)).toEqual([
      p('deploy.qcow2'),
      app,
      os,
      undefined,
    ]);
    for (const l of chain) expect(path.isAbsolute(l.path)).toBe(true);
  });

  it('adopts layers that arrived from another host onto its own, and a volume standing alone', async () => {
    const { store, root } = fixture();
    const { p, os, app } = await layers('arrived');
    await store.adoptImage(os, {});
    await store.adoptImage(app, { backingPath: os });
    // As an export leaves them: headers naming another host's layers.
    await writeImage(p('deploy.qcow2'), GiB, '/elsewhere/images/app.qcow2');
    await writeImage(p('disk.qcow2'), GiB, '/elsewhere/deploy.qcow2');
    await writeImage(p('volume.qcow2'), 8 * 1024 ** 2);
    await store.adoptLayer(p('deploy.qcow2'), app);
    const top = await store.adoptLayer(p('disk.qcow2'), p('deploy.qcow2'));
    expect(top.backingPath).toBe(p('deploy.qcow2'));
    expect((await store.chain(p('disk.qcow2'))).map(l => l.path)).toEqual([
      p('disk.qcow2'),
      p('deploy.qcow2'),
      app,
      os,
    ]);
    const volume = await store.adoptLayer(p('volume.qcow2'));
    expect(volume).toMatchObject({ virtualSizeBytes: 8 * 1024 ** 2 });
    expect(volume.backingPath).toBeUndefined();
    expect(await code(store.adoptLayer(p('deploy.qcow2')))).toBe(
      'IMAGE_INVALID',
    );
    await writeImage(p('orphan.qcow2'));
    expect(
      await code(store.adoptLayer(p('orphan.qcow2'), p('missing.qcow2'))),
    ).toBe('UNKNOWN_IMAGE');
    expect(
      await code(store.adoptLayer(path.join(root, '..', 'x.qcow2'), app)),
    ).toBe('INVALID_PATH');
  });

  it('refuses to overwrite a layer, and leaves it intact', async () => {
    const { store } = fixture();
    const { p, os } = await layers('exists');
    await store.adoptImage(os, {});
    await store.createOverlay(p('instance.qcow2'), os);
    expect(await code(store.createOverlay(p('instance.qcow2'), os))).toBe(
      'DISK_EXISTS',
    );
    expect((await store.chain(p('instance.qcow2'))).map(l => l.path)).toEqual([
      p('instance.qcow2'),
      os,
    ]);
  });

  it('answers UNKNOWN_IMAGE for a missing backing layer and UNKNOWN_DISK for a missing layer', async () => {
    const { store } = fixture();
    const { p } = await layers('missing');
    expect(await code(store.createOverlay(p('i.qcow2'), p('nope.qcow2')))).toBe(
      'UNKNOWN_IMAGE',
    );
    expect(await code(store.chain(p('nope.qcow2')))).toBe('UNKNOWN_DISK');
    await expect(fs.stat(p('i.qcow2'))).rejects.toThrow();
  });

  it('refuses paths outside its data directory', async () => {
    const { store, root } = fixture();
    const { os } = await layers('outside');
    expect(await code(store.createOverlay('/tmp/evil.qcow2', os))).toBe(
      'INVALID_PATH',
    );
    expect(
      await code(
        store.createOverlay(path.join(root, 'x.qcow2'), '/etc/passwd'),
      ),
    ).toBe('INVALID_PATH');
    expect(await code(store.chain(`${root}/../etc/passwd`))).toBe(
      'INVALID_PATH',
    );
    expect(await code(store.remove('/etc/passwd'))).toBe('INVALID_PATH');
  });

  it('removes the top layer only', async () => {
    const { store } = fixture();
    const { p, os } = await layers('remove');
    await store.adoptImage(os, {});
    await store.createOverlay(p('instance.qcow2'), os);
    await store.remove(p('instance.qcow2'));
    expect(await code(store.chain(p('instance.qcow2')))).toBe('UNKNOWN_DISK');
    expect((await store.chain(os)).map(l => l.path)).toEqual([os]);
  });

  it('creates a blank disk of a size, standing alone, once', async () => {
    const { store, root } = fixture();
    const file = path.join(root, 'blank', 'swap.qcow2');
    await fs.mkdir(path.dirname(file), { recursive: true });
    const blank = await store.createBlank(file, 128 * 1024 ** 2);
    expect(blank).toMatchObject({
      path: file,
      format: 'qcow2',
      virtualSizeBytes: 128 * 1024 ** 2,
    });
    expect(blank.backingPath).toBeUndefined();
    expect(await code(store.createBlank(file, GiB))).toBe('DISK_EXISTS');
    expect((await store.chain(file))[0].virtualSizeBytes).toBe(128 * 1024 ** 2);
    await store.remove(file);
    expect(await code(store.chain(file))).toBe('UNKNOWN_DISK');
  });

  it('takes its virtual size from the image and gives overlays theirs', async () => {
    const { store, root } = fixture();
    const file = path.join(root, 'sized.qcow2');
    await writeImage(file, 3 * GiB);
    expect((await store.adoptImage(file, {})).virtualSizeBytes).toBe(3 * GiB);
    const top = await store.createOverlay(
      path.join(root, 'sized-top.qcow2'),
      file,
    );
    expect(top.virtualSizeBytes).toBe(3 * GiB);
  });

  it('refuses what is not a usable qcow2 image', async () => {
    const { store, root } = fixture();
    const dir = path.join(root, 'refused');
    await fs.mkdir(dir, { recursive: true });
    const garbage = path.join(dir, 'garbage.qcow2');
    await fs.writeFile(garbage, 'not an image at all');
    expect(await code(store.adoptImage(garbage, {}))).toBe('IMAGE_INVALID');
    const truncated = path.join(dir, 'truncated.qcow2');
    await fs.writeFile(truncated, emptyQcow2(GiB).subarray(0, 4096));
    expect(await code(store.adoptImage(truncated, {}))).toBe('IMAGE_INVALID');
    const layered = path.join(dir, 'layered.qcow2');
    await writeImage(path.join(dir, 'below.qcow2'));
    await writeImage(layered, GiB, path.join(dir, 'below.qcow2'));
    expect(await code(store.adoptImage(layered, {}))).toBe('IMAGE_INVALID');
  });
}
