import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../exec/runCommand';
import { describeWithTools } from '../testing/describeWithTools';
import { emptyQcow2 } from './qcow2';

describeWithTools(['qemu-img'], 'emptyQcow2', () => {
  // The largest disk the API takes (sizeGiB 65536) once answered 500: its L1 table did not fit 4 KiB clusters.
  it.each([1024 ** 3, 65536 * 1024 ** 3])(
    'writes an image of %d bytes that qemu-img checks and reads',
    async size => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qcow2-'));
      try {
        const file = path.join(dir, 'empty.qcow2');
        await fs.writeFile(file, emptyQcow2(size));
        await runCommand('qemu-img', ['check', '-q', file]);
        const info = JSON.parse(
          (await runCommand('qemu-img', ['info', '--output=json', file]))
            .stdout,
        );
        expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': size });
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
  );
});
