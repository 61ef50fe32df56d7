import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../exec/runCommand';
import { describeWithTools } from '../testing/describeWithTools';
import { diskStoreContract, DiskStoreFixture } from './diskStoreContract';
import { emptyQcow2 } from './qcow2';
import { QemuImgDiskStore } from './QemuImgDiskStore';

describeWithTools(['qemu-img'], 'QemuImgDiskStore', () => {
  let fixture: DiskStoreFixture;
  beforeAll(async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'qemu-disks-'));
    fixture = {
      root,
      store: new QemuImgDiskStore(root),
    };
  });
  afterAll(() => fs.rm(fixture.root, { recursive: true, force: true }));

  describe('contract', () => {
    diskStoreContract(() => fixture);
  });

  it('reads the empty qcow2 images the simulated store writes, and finds no errors in them', async () => {
    const { root } = fixture;
    const base = path.join(root, 'js-base.qcow2');
    const top = path.join(root, 'js-top.qcow2');
    await fs.writeFile(base, emptyQcow2(64 * 1024 ** 3));
    await fs.writeFile(top, emptyQcow2(2 * 1024 ** 3, base));
    await runCommand('qemu-img', ['check', '-q', top]);
    const info = JSON.parse(
      (
        await runCommand('qemu-img', [
          'info',
          '--backing-chain',
          '--output=json',
          top,
        ])
      ).stdout,
    );
    expect(
      info.map((i: any) => [i['virtual-size'], i['backing-filename']]),
    ).toEqual([
      [2 * 1024 ** 3, base],
      [64 * 1024 ** 3, undefined],
    ]);
  });

  it('refuses a raw image and a base image that already has a backing file', async () => {
    const { root, store } = fixture;
    const raw = path.join(root, 'raw.img');
    await runCommand('qemu-img', ['create', '-q', '-f', 'raw', raw, '1M']);
    await expect(store.adoptImage(raw, {})).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
    });
    const base = path.join(root, 'b.qcow2');
    const top = path.join(root, 't.qcow2');
    await runCommand('qemu-img', ['create', '-q', '-f', 'qcow2', base, '1M']);
    await runCommand('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      base,
      top,
    ]);
    await expect(store.adoptImage(top, {})).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
    });
  });
});
