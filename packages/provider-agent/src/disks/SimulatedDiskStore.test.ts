import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { diskStoreContract, DiskStoreFixture } from './diskStoreContract';
import { emptyQcow2 } from './qcow2';
import { SimulatedDiskStore } from './SimulatedDiskStore';

describe('SimulatedDiskStore', () => {
  let fixture: DiskStoreFixture;
  beforeAll(async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-disks-'));
    fixture = {
      root,
      store: new SimulatedDiskStore(root, path.join(root, 'state')),
    };
  });
  afterAll(() => fs.rm(fixture.root, { recursive: true, force: true }));

  describe('contract', () => {
    diskStoreContract(() => fixture);
  });

  it('keeps its index across instances (restart)', async () => {
    const { root } = fixture;
    const base = path.join(root, 'keep-os.qcow2');
    await fs.writeFile(base, emptyQcow2(1024 ** 3));
    await new SimulatedDiskStore(root, path.join(root, 'state')).adoptImage(
      base,
      {},
    );
    const again = new SimulatedDiskStore(root, path.join(root, 'state'));
    await again.createOverlay(path.join(root, 'keep-i.qcow2'), base);
    expect((await again.chain(path.join(root, 'keep-i.qcow2'))).length).toBe(2);
  });
});
