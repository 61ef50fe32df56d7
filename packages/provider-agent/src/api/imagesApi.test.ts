import fs from 'node:fs/promises';
import path from 'node:path';
import { emptyQcow2 } from '../disks/qcow2';
import { startChannel, waitFor } from '../testing/channelFixture';
import { startTestAgent, TestAgent } from '../testing/startTestAgent';

// Installs, checks and downloads real qcow2 files: give it time on a busy machine.
jest.setTimeout(60_000);

describe('images API (simulated driver)', () => {
  let t: TestAgent;
  let channel: Awaited<ReturnType<typeof startChannel>>;
  const GiB = 1024 ** 3;
  // A real qcow2 (the agent checks what it installs) of about 530 KB, so throttled downloads last.
  const osBytes = emptyQcow2(128 * GiB);

  beforeAll(async () => {
    channel = await startChannel();
    t = await startTestAgent({ downloads: { stallTimeoutSeconds: 0.5 } });
  });
  afterAll(async () => {
    await t.close();
    await channel.close();
  });

  const imagesDir = () => path.join(t.config.dataDir, 'images');
  const partialFiles = () => fs.readdir(path.join(imagesDir(), '.partial'));
  const finished = (id: string) =>
    waitFor(
      async () =>
        (await t.client.GET('/v1/downloads/{id}', { params: { path: { id } } }))
          .data!,
      d => !['downloading', 'verifying', 'installing'].includes(d.state),
    );

  it('installs an OS image with progress and speed readable while it downloads', async () => {
    const body = await channel.publish('/os/debian.qcow2', osBytes, {
      bytesPerSecond: 1024 * 1024,
    });
    const started = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'debian' } },
      body,
    });
    expect(started.response.status).toBe(202);
    const id = started.data && 'id' in started.data ? started.data.id : '';
    const running = await waitFor(
      async () =>
        (await t.client.GET('/v1/downloads')).data!.items.find(
          d => d.id === id,
        )!,
      d => d.receivedBytes > 0 && d.state === 'downloading',
    );
    expect(running.totalBytes).toBe(osBytes.length);
    expect(running.progress).toBeGreaterThan(0);
    expect(running.progress).toBeLessThan(1);
    expect(running.speedBytesPerSecond).toBeGreaterThan(0);

    const done = await finished(id);
    expect(done).toMatchObject({
      state: 'done',
      progress: 1,
      receivedBytes: osBytes.length,
    });
    const image = await t.client.GET('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'debian' } },
    });
    expect(image.data).toMatchObject({
      kind: 'os',
      name: 'debian',
      version: '1.0.0',
      sizeBytes: osBytes.length,
    });

    const again = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'debian' } },
      body,
    });
    expect(again.response.status).toBe(200);
    const check = await t.client.POST('/v1/images/{kind}/{name}/check', {
      params: { path: { kind: 'os', name: 'debian' } },
    });
    expect(check.data).toEqual({
      installed: true,
      downloading: false,
      version: '1.0.0',
      intact: true,
    });
  }, 30_000); // a throttled download on a busy machine

  it('answers a second install of an image being downloaded with DOWNLOAD_IN_PROGRESS', async () => {
    const body = await channel.publish('/os/slow.qcow2', osBytes, {
      bytesPerSecond: 256 * 1024,
    });
    const params = { path: { kind: 'os' as const, name: 'slow' } };
    const first = await t.client.PUT('/v1/images/{kind}/{name}', {
      params,
      body,
    });
    const second = await t.client.PUT('/v1/images/{kind}/{name}', {
      params,
      body,
    });
    expect(second.response.status).toBe(409);
    expect(second.error).toMatchObject({
      error: { code: 'DOWNLOAD_IN_PROGRESS' },
    });
    const id = (first.data as any).id;
    const cancelled = await t.client.DELETE('/v1/downloads/{id}', {
      params: { path: { id } },
    });
    expect(cancelled.data!.state).toBe('cancelled');
    expect(await partialFiles()).toEqual([]);
    const check = await t.client.POST('/v1/images/{kind}/{name}/check', {
      params,
    });
    expect(check.data).toEqual({ installed: false, downloading: false });
  });

  it.each([
    [
      'a checksum that does not match',
      'CHECKSUM_MISMATCH',
      async () => ({ sha256: 'ab'.repeat(32) }),
    ],
    [
      'a signature by a key the caller does not trust',
      'SIGNATURE_INVALID',
      async () => {
        const { createSigningKey } = require('../testing/signing');
        return {
          publicKeys: [(await createSigningKey('Someone else')).publicKey],
        };
      },
    ],
    [
      'a signature over other bytes',
      'SIGNATURE_INVALID',
      async () => ({
        signature: await channel.key.sign(Buffer.from('other bytes')),
      }),
    ],
  ])('fails %s with %s and deletes the file', async (_what, code, tamper) => {
    const name =
      code.toLowerCase().replace(/_/g, '-') + Math.floor(Math.random() * 1e6);
    const body = {
      ...(await channel.publish(`/os/${name}.qcow2`, osBytes)),
      ...(await tamper()),
    };
    if ('signature' in body) delete (body as any).signatureUrl;
    const started = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name } },
      body,
    });
    const done = await finished((started.data as any).id);
    expect(done).toMatchObject({ state: 'failed', error: { code } });
    expect(await partialFiles()).toEqual([]);
    await expect(fs.stat(path.join(imagesDir(), 'os', name))).rejects.toThrow();
    const get = await t.client.GET('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name } },
    });
    expect(get.response.status).toBe(404);
    expect(get.error).toMatchObject({ error: { code: 'UNKNOWN_IMAGE' } });
  });

  it('fails a stalled download with DOWNLOAD_STALLED and removes the partial file', async () => {
    const body = await channel.publish('/os/stall.qcow2', osBytes, {
      stallAfter: 1000,
    });
    const started = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'stall' } },
      body,
    });
    const done = await finished((started.data as any).id);
    expect(done).toMatchObject({
      state: 'failed',
      receivedBytes: 1000,
      error: { code: 'DOWNLOAD_STALLED' },
    });
    expect(await partialFiles()).toEqual([]);
  });

  it('refuses an image larger than the free disk with DISK_FULL before writing it', async () => {
    const body = await channel.publish('/os/huge.qcow2', osBytes, {
      contentLength: 2 ** 50,
      stallAfter: 0,
    });
    const started = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'huge' } },
      body,
    });
    const done = await finished((started.data as any).id);
    expect(done).toMatchObject({
      state: 'failed',
      receivedBytes: 0,
      error: { code: 'DISK_FULL' },
    });
    expect(await partialFiles()).toEqual([]);
  });

  it('layers an appliance on its OS, upgrades it and refuses to remove what is in use', async () => {
    const params = { path: { kind: 'appliance' as const, name: 'webserv' } };
    const missingOs = await t.client.PUT('/v1/images/{kind}/{name}', {
      params,
      body: await channel.publish(
        '/app/webserv-1.qcow2',
        emptyQcow2(GiB, 'debian.qcow2'),
        { os: 'no-such-os' },
      ),
    });
    expect(missingOs.error).toMatchObject({ error: { code: 'UNKNOWN_IMAGE' } });

    const v1 = await channel.publish(
      '/app/webserv-1.qcow2',
      emptyQcow2(GiB, 'debian.qcow2'),
      { os: 'debian' },
    );
    await finished(
      (
        (await t.client.PUT('/v1/images/{kind}/{name}', { params, body: v1 }))
          .data as any
      ).id,
    );
    expect(
      (await t.client.GET('/v1/images/{kind}/{name}', { params })).data,
    ).toMatchObject({
      version: '1.0.0',
      os: { name: 'debian', version: '1.0.0' },
    });

    const osInUse = await t.client.DELETE('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'debian' } },
    });
    expect(osInUse.response.status).toBe(409);
    expect(osInUse.error).toMatchObject({ error: { code: 'IMAGE_IN_USE' } });

    const disk = await t.client.POST('/v1/disks', {
      body: { name: 'web-1', appliance: 'webserv' },
    });
    expect(disk.response.status).toBe(201);

    const v2 = await channel.publish(
      '/app/webserv-2.qcow2',
      emptyQcow2(2 * GiB, 'debian.qcow2'),
      { os: 'debian', version: '2.0.0' },
    );
    const upgrade = await t.client.POST('/v1/images/{kind}/{name}/upgrade', {
      params,
      body: v2,
    });
    expect(upgrade.response.status).toBe(202);
    await finished(upgrade.data!.id);
    // v1 stays while web-1 sits on it.
    expect(
      (await t.client.GET('/v1/images/{kind}/{name}', { params })).data,
    ).toMatchObject({
      version: '2.0.0',
      versions: ['1.0.0', '2.0.0'],
    });
    const same = await t.client.POST('/v1/images/{kind}/{name}/upgrade', {
      params,
      body: v2,
    });
    expect(same.error).toMatchObject({ error: { code: 'IMAGE_EXISTS' } });

    const inUse = await t.client.DELETE('/v1/images/{kind}/{name}', { params });
    expect(inUse.error).toMatchObject({ error: { code: 'IMAGE_IN_USE' } });
    await t.client.DELETE('/v1/disks/{name}', {
      params: { path: { name: 'web-1' } },
    });
    const removed = await t.client.DELETE('/v1/images/{kind}/{name}', {
      params,
    });
    expect(removed.response.status).toBe(204);
    await expect(
      fs.stat(path.join(imagesDir(), 'appliance', 'webserv')),
    ).rejects.toThrow();
  });

  it('refuses a download that is not a qcow2 image and keeps nothing of it', async () => {
    const body = await channel.publish(
      '/os/text.qcow2',
      Buffer.from('TEMPEST SIMULATED OS SUBSTRATE\n'),
    );
    const res = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'text' } },
      body,
    });
    const done = await finished((res.data as any).id);
    expect(done).toMatchObject({
      state: 'failed',
      error: { code: 'IMAGE_INVALID' },
    });
    const listed = await t.client.GET('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'text' } },
    });
    expect(listed.error).toMatchObject({ error: { code: 'UNKNOWN_IMAGE' } });
    expect(await partialFiles()).toEqual([]);
  });

  it('answers bad names and bad requests with stable codes', async () => {
    const bad = await t.client.GET('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'a;reboot' } },
    });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ error: { code: 'INVALID_NAME' } });
    const traversal = await t.client.GET('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: '..%2F..%2Fetc' } },
    });
    expect(traversal.error).toMatchObject({ error: { code: 'INVALID_NAME' } });
    const kind = await t.client.GET('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'iso' as any, name: 'x' } },
    });
    expect(kind.error).toMatchObject({ error: { code: 'INVALID_NAME' } });
    const noKeys = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'x' } },
      body: {
        version: '1',
        url: 'http://127.0.0.1:1/x',
        sha256: 'ab'.repeat(32),
        publicKeys: [],
      },
    });
    expect(noKeys.error).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    const notAKey = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'x' } },
      body: {
        version: '1',
        url: 'http://127.0.0.1:1/x',
        sha256: 'ab'.repeat(32),
        publicKeys: ['nope'],
        signature: 's',
      },
    });
    expect(notAKey.response.status).toBe(400);
    expect(notAKey.error).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    const fileUrl = await t.client.PUT('/v1/images/{kind}/{name}', {
      params: { path: { kind: 'os', name: 'x' } },
      body: {
        version: '1',
        url: 'file:///etc/passwd',
        sha256: 'ab'.repeat(32),
        publicKeys: ['k'],
        signature: 's',
      },
    });
    expect(fileUrl.error).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    const unknown = await t.client.GET('/v1/downloads/{id}', {
      params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(unknown.error).toMatchObject({
      error: { code: 'UNKNOWN_DOWNLOAD' },
    });
  });
});
