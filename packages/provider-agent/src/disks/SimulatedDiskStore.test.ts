import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { diskStoreContract, DiskStoreFixture } from './diskStoreContract';
import { SimulatedDiskStore } from './SimulatedDiskStore';

describe('SimulatedDiskStore', () => {
  let fixture: DiskStoreFixture;
  beforeAll(async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-disks-'));
    fixture = {
      root,
      store: new SimulatedDiskStore(root, path.join(root, 'state')),
      writeImage: file => fs.writeFile(file, Buffer.alloc(4096, 1)),
      // The simulated store takes any bytes: it never reads an image's content.
      rejectsGarbage: false,
    };
  });
  afterAll(() => fs.rm(fixture.root, { recursive: true, force: true }));

  describe('contract', () => {
    diskStoreContract(() => fixture);
  });

  it('keeps its index across instances (restart)', async () => {
    const { root } = fixture;
    const base = path.join(root, 'keep-os.qcow2');
    await fs.writeFile(base, 'x');
    await new SimulatedDiskStore(root, path.join(root, 'state')).adoptImage(
      base,
      {},
    );
    const again = new SimulatedDiskStore(root, path.join(root, 'state'));
    await again.createOverlay(path.join(root, 'keep-i.qcow2'), base);
    expect((await again.chain(path.join(root, 'keep-i.qcow2'))).length).toBe(2);
  });
});
