import fs from 'node:fs/promises';
import path from 'node:path';
import { emptyQcow2 } from '../disks/qcow2';
import { startChannel, waitFor } from '../testing/channelFixture';
import { startTestAgent } from '../testing/startTestAgent';

describe('graceful stop', () => {
  it('cancels running downloads and removes their partial files', async () => {
    const channel = await startChannel();
    const t = await startTestAgent();
    const body = await channel.publish(
      '/big.qcow2',
      emptyQcow2(1024 ** 4), // a real qcow2 of about 4 MiB
      { bytesPerSecond: 256 * 1024 },
    );
    const res = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'big' } },
      body,
    });
    const id = (res.data as any).id;
    await waitFor(
      async () =>
        (await t.client.GET('/v1/downloads/{id}', { params: { path: { id } } }))
          .data!.receivedBytes,
      n => n > 0,
    );
    await t.agent.stop();
    expect(t.agent.services.images.download(id).state).toBe('cancelled');
    expect(
      await fs.readdir(path.join(t.config.dataDir, 'images/.partial')),
    ).toEqual([]);
    await t.close();
    await channel.close();
  });
});
