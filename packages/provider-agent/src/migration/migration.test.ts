import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { QemuImgDiskStore } from '../disks/QemuImgDiskStore';
import { emptyQcow2 } from '../disks/qcow2';
import {
  CertificateAuthority,
  createCertificateAuthority,
} from '../pki/createCertificateAuthority';
import { startChannel, waitFor } from '../testing/channelFixture';
import { describeWithTools } from '../testing/describeWithTools';
import { installImage } from '../testing/installImage';
import { startTestAgent, TestAgent } from '../testing/startTestAgent';
import { RSYNC_UPGRADE } from './rsyncUpgradeHandler';

jest.setTimeout(120_000);
const run = promisify(execFile);

type Channel = Awaited<ReturnType<typeof startChannel>>;

async function startHost(
  ca: CertificateAuthority,
  hostId: string,
  driver: 'simulated' | 'qemu-img',
  overrides: Parameters<typeof startTestAgent>[0] = {},
) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `tempest-${hostId}-`));
  const t = await startTestAgent(
    { name: hostId, ...overrides },
    {
      dir,
      pki: { ca, hostId },
      drivers:
        driver === 'qemu-img'
          ? { diskStore: new QemuImgDiskStore(path.join(dir, 'data')) }
          : {},
    },
  );
  return {
    t,
    fingerprint: new X509Certificate(t.pki.server.cert).fingerprint256,
    /** A client calling with this agent's own certificate, as a peer agent does. */
    asPeer: (url: string) =>
      createAgentClient({
        baseUrl: url,
        ca: t.pki.ca.cert,
        cert: t.pki.server.cert,
        key: t.pki.server.key,
      }),
    async close() {
      await t.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
type Host = Awaited<ReturnType<typeof startHost>>;

async function installLayers(t: TestAgent, channel: Channel) {
  await installImage(
    t,
    'os',
    'debian',
    await channel.publish('/os.qcow2', emptyQcow2(64 * 1024 ** 2)),
  );
  const app = await installImage(
    t,
    'appliance',
    'mail',
    await channel.publish('/mail.qcow2', emptyQcow2(64 * 1024 ** 2), {
      os: 'debian',
    }),
  );
  expect(app.state).toBe('done');
}

async function exportTo(
  from: Host,
  to: Host,
  disk: string,
  ttlSeconds?: number,
) {
  const res = await from.t.client.POST('/v1/disks/{name}/exports', {
    params: { path: { name: disk } },
    body: {
      peer: {
        hostId: to.t.config.name,
        certificateFingerprint256: to.fingerprint,
      },
      ...(ttlSeconds ? { ttlSeconds } : {}),
    },
  });
  expect(res.error).toBeUndefined();
  expect(res.response.status).toBe(201);
  return res.data!;
}

async function importFrom(
  to: Host,
  from: Host,
  disk: string,
  exportId: string,
  fingerprint = from.fingerprint,
) {
  const res = await to.t.client.POST('/v1/imports', {
    body: {
      disk,
      source: {
        agentUrl: from.t.agent.url,
        hostId: from.t.config.name,
        certificateFingerprint256: fingerprint,
        exportId,
      },
    },
  });
  return res;
}

async function finished(to: Host, id: string) {
  return waitFor(
    async () =>
      (await to.t.client.GET('/v1/imports/{id}', { params: { path: { id } } }))
        .data!,
    i => i.state !== 'transferring',
    60_000,
  );
}

/** What a guest would read: qemu-img compare over the whole chains. */
async function guestCompare(a: string, b: string): Promise<'same' | 'differ'> {
  try {
    await run('qemu-img', ['compare', '-f', 'qcow2', '-F', 'qcow2', a, b]);
    return 'same';
  } catch (e) {
    if ((e as { code?: unknown }).code === 1) return 'differ';
    throw e;
  }
}

/** The simulated store's layers are plain files: byte for byte. */
async function fileCompare(a: string, b: string): Promise<'same' | 'differ'> {
  return (await fs.readFile(a)).equals(await fs.readFile(b))
    ? 'same'
    : 'differ';
}

/** Each layer's backing file, top first: from qemu-img, or the simulated index. */
async function backingChain(host: Host, file: string) {
  if (host.t.agent.services.diskStore.driver === 'simulated')
    return (await host.t.agent.services.diskStore.chain(file)).map(
      l => l.backingPath ?? null,
    );
  const { stdout } = await run('qemu-img', [
    'info',
    '--backing-chain',
    '--output=json',
    '-U',
    file,
  ]);
  return JSON.parse(stdout).map(
    (l: Record<string, string>) =>
      l['full-backing-filename'] ?? l['backing-filename'] ?? null,
  );
}

/** Files under a folder, relative, for "nothing left behind". */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs
    .readdir(dir, { recursive: true, withFileTypes: true })
    .catch(e => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
  return entries
    .filter(e => e.isFile())
    .map(e => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describeWithTools(
  ['rsync', 'qemu-img', 'qemu-io'],
  'disk migration between agents',
  () => {
    describe.each(['simulated', 'qemu-img'] as const)(
      'with the %s disk store',
      driver => {
        let ca: CertificateAuthority;
        let channel: Channel;
        let a: Host;
        let b: Host;

        beforeAll(async () => {
          ca = await createCertificateAuthority();
          channel = await startChannel();
          a = await startHost(ca, 'host-a', driver);
          b = await startHost(ca, 'host-b', driver);
          await installLayers(a.t, channel);
          // B's layers come after its first import is refused for lack of them.
        });
        afterAll(async () => {
          await a?.close();
          await b?.close();
          await channel?.close();
        });

        it('moves a stopped disk with its seed, volume and data, rebased onto the destination layers', async () => {
          const created = await a.t.client.POST('/v1/disks', {
            body: {
              name: 'web',
              appliance: 'mail',
              deployment: 'acme',
              seed: { hostname: 'web' },
            },
          });
          expect(created.response.status).toBe(201);
          const volume = await a.t.client.PUT(
            '/v1/disks/{name}/volumes/{volume}',
            {
              params: { path: { name: 'web', volume: 'data' } },
              body: { role: 'data', sizeMiB: 8 },
            },
          );
          expect(volume.response.status).toBe(201);
          const source = created.data!;
          const volumePath = volume.data!.path;
          // Guest data in the instance layer and the volume.
          if (driver === 'qemu-img') {
            await run('qemu-io', [
              '-f',
              'qcow2',
              '-c',
              'write -P 0xab 0 3M',
              source.path,
            ]);
            await run('qemu-io', [
              '-f',
              'qcow2',
              '-c',
              'write -P 0xcd 1M 1M',
              volumePath,
            ]);
          } else {
            await fs.appendFile(source.path, Buffer.alloc(3 * 1024 ** 2, 0xab));
            await fs.appendFile(volumePath, Buffer.alloc(1024 ** 2, 0xcd));
          }

          const exported = await exportTo(a, b, 'web');
          expect(exported.files.map(f => f.path).sort()).toEqual([
            'deployment.qcow2',
            'disk.json',
            'disk.qcow2',
            'seed.iso',
            'volume-data.qcow2',
          ]);
          expect(exported).toMatchObject({
            disk: 'web',
            appliance: { name: 'mail', version: '1.0.0' },
            os: { name: 'debian', version: '1.0.0' },
            deployment: 'acme',
          });
          expect(exported.totalBytes).toBe(
            exported.files.reduce((sum, f) => sum + f.bytes, 0),
          );
          expect(exported.totalBytes).toBeGreaterThan(3 * 1024 ** 2);

          // B lacks the OS and appliance layers: refused, naming them, nothing kept.
          const early = await importFrom(b, a, 'web', exported.id);
          expect(early.response.status).toBe(202);
          const refused = await finished(b, early.data!.id);
          expect(refused.state).toBe('failed');
          expect(refused.error).toMatchObject({ code: 'UNKNOWN_IMAGE' });
          expect(refused.error!.message).toMatch(
            /appliance mail 1\.0\.0 on OS debian 1\.0\.0/,
          );
          expect(
            await filesUnder(path.join(b.t.config.dataDir, 'disks')),
          ).toEqual([]);

          await installLayers(b.t, channel);
          const started = await importFrom(b, a, 'web', exported.id);
          expect(started.response.status).toBe(202);
          expect(started.data).toMatchObject({
            disk: 'web',
            state: 'transferring',
          });
          const done = await waitFor(
            async () => {
              const i = (
                await b.t.client.GET('/v1/imports/{id}', {
                  params: { path: { id: started.data!.id } },
                })
              ).data!;
              return i;
            },
            i => i.state !== 'transferring',
            60_000,
          );
          expect(done.error).toBeUndefined();
          expect(done).toMatchObject({
            state: 'done',
            progress: 1,
            bytesTotal: exported.totalBytes,
          });
          expect(done.bytesDone).toBe(exported.totalBytes);

          const data = b.t.config.dataDir;
          const disk = await b.t.client.GET('/v1/disks/{name}', {
            params: { path: { name: 'web' } },
          });
          expect(disk.data).toMatchObject({
            name: 'web',
            appliance: { name: 'mail', version: '1.0.0' },
            deployment: 'acme',
            path: path.join(data, 'disks/web/disk.qcow2'),
            seedPath: path.join(data, 'disks/web/seed.iso'),
            seed: { hostname: 'web', instanceId: 'web' },
            volumes: [
              {
                name: 'data',
                role: 'data',
                sizeMiB: 8,
                path: path.join(data, 'disks/web/volume-data.qcow2'),
              },
            ],
            chain: [
              path.join(data, 'disks/web/disk.qcow2'),
              path.join(data, 'deployments/mail/1.0.0/acme.qcow2'),
              path.join(data, 'images/appliance/mail/1.0.0.qcow2'),
              path.join(data, 'images/os/debian/1.0.0.qcow2'),
            ],
          });
          expect(
            await b.t.agent.services.seedBuilder.read(disk.data!.seedPath!),
          ).toMatchObject({ hostname: 'web' });

          // The chain on disk (qemu-img's headers, the simulated index) is B's own.
          expect(await backingChain(b, disk.data!.path)).toEqual([
            path.join(data, 'deployments/mail/1.0.0/acme.qcow2'),
            path.join(data, 'images/appliance/mail/1.0.0.qcow2'),
            path.join(data, 'images/os/debian/1.0.0.qcow2'),
            null,
          ]);
          // The guest sees the same bytes on both hosts, and not those of another disk.
          const compare = driver === 'qemu-img' ? guestCompare : fileCompare;
          expect({
            disk: await compare(source.path, disk.data!.path),
            volume: await compare(volumePath, disk.data!.volumes![0].path),
            control: await compare(source.path, volumePath),
          }).toEqual({ disk: 'same', volume: 'same', control: 'differ' });
          // A domain is defined on it there.
          const domain = await b.t.client.PUT('/v1/domains/{name}', {
            params: { path: { name: 'web' } },
            body: { vcpus: 1, memoryMiB: 64, disk: 'web' },
          });
          expect(domain.error).toBeUndefined();
          expect(await filesUnder(path.join(data, 'imports'))).toEqual([]);

          // The same disk again is DISK_EXISTS, before anything moves.
          const again = await importFrom(b, a, 'web', exported.id);
          expect(again.error).toMatchObject({ error: { code: 'DISK_EXISTS' } });
          expect(
            (await b.t.client.GET('/v1/info')).data!.capabilities,
          ).toContain('migration');
        });

        it('refuses an export while its domain runs, and of an unknown disk', async () => {
          await a.t.client.POST('/v1/disks', {
            body: { name: 'busy', appliance: 'mail' },
          });
          await a.t.client.PUT('/v1/domains/{name}', {
            params: { path: { name: 'busy' } },
            body: { vcpus: 1, memoryMiB: 64, disk: 'busy' },
          });
          await a.t.client.POST('/v1/domains/{name}/start', {
            params: { path: { name: 'busy' } },
          });
          const exportsBefore = await filesUnder(
            path.join(a.t.config.dataDir, 'exports'),
          );
          const body = {
            peer: {
              hostId: 'host-b',
              certificateFingerprint256: b.fingerprint,
            },
          };
          const running = await a.t.client.POST('/v1/disks/{name}/exports', {
            params: { path: { name: 'busy' } },
            body,
          });
          expect(running.response.status).toBe(409);
          expect(running.error).toMatchObject({
            error: { code: 'DOMAIN_RUNNING' },
          });
          expect(running.error!.error.message).toMatch(/stop it first/);
          const unknown = await a.t.client.POST('/v1/disks/{name}/exports', {
            params: { path: { name: 'ghost' } },
            body,
          });
          expect(unknown.response.status).toBe(404);
          expect(unknown.error).toMatchObject({ error: { code: 'NOT_FOUND' } });
          expect(
            await filesUnder(path.join(a.t.config.dataDir, 'exports')),
          ).toEqual(exportsBefore);
        });

        if (driver === 'qemu-img') return;

        it('refuses a withdrawn or expired export, a wrong peer, and a source with another certificate', async () => {
          await a.t.client.POST('/v1/disks', {
            body: { name: 'api', appliance: 'mail' },
          });
          const expectFailed = async (
            res: Awaited<ReturnType<typeof importFrom>>,
            code: string,
            message: RegExp,
          ) => {
            expect(res.response.status).toBe(202);
            const end = await finished(b, res.data!.id);
            expect(end.state).toBe('failed');
            expect(end.error?.code).toBe(code);
            expect(end.error?.message).toMatch(message);
            expect(
              await b.t.client.GET('/v1/disks/{name}', {
                params: { path: { name: 'api' } },
              }),
            ).toMatchObject({ error: { error: { code: 'UNKNOWN_DISK' } } });
            expect(
              await filesUnder(path.join(b.t.config.dataDir, 'imports')),
            ).toEqual([]);
          };

          const withdrawn = await exportTo(a, b, 'api');
          const del = await a.t.client.DELETE('/v1/disks/{name}/exports/{id}', {
            params: { path: { name: 'api', id: withdrawn.id } },
          });
          expect(del.response.status).toBe(204);
          const delAgain = await a.t.client.DELETE(
            '/v1/disks/{name}/exports/{id}',
            {
              params: { path: { name: 'api', id: withdrawn.id } },
            },
          );
          expect(delAgain.response.status).toBe(204);
          await expectFailed(
            await importFrom(b, a, 'api', withdrawn.id),
            'TRANSFER_FAILED',
            /404 \(NOT_FOUND: No export .* expired, was withdrawn/,
          );

          const expiring = await exportTo(a, b, 'api', 1);
          await new Promise(r => setTimeout(r, 1100));
          expect(
            (
              await a.t.client.GET('/v1/disks/{name}/exports/{id}', {
                params: { path: { name: 'api', id: expiring.id } },
              })
            ).response.status,
          ).toBe(404);
          await expectFailed(
            await importFrom(b, a, 'api', expiring.id),
            'TRANSFER_FAILED',
            /NOT_FOUND/,
          );

          // An export made for another certificate: B may not read or transfer it.
          const forOther = await a.t.client.POST('/v1/disks/{name}/exports', {
            params: { path: { name: 'api' } },
            body: {
              peer: {
                hostId: 'host-b',
                certificateFingerprint256: a.fingerprint,
              },
            },
          });
          await expectFailed(
            await importFrom(b, a, 'api', forOther.data!.id),
            'TRANSFER_FAILED',
            /403 \(CLIENT_CERT_REQUIRED: Export .* is for host host-b only: its certificate is /,
          );

          // The source presents a certificate other than the one named.
          const good = await exportTo(a, b, 'api');
          await expectFailed(
            await importFrom(b, a, 'api', good.id, b.fingerprint),
            'PEER_CERTIFICATE_MISMATCH',
            /is not host host-a: its certificate is .*, not /,
          );
        });

        it("keeps a peer agent's certificate to the exports made for it", async () => {
          const asB = b.asPeer(a.t.agent.url);
          try {
            const list = await asB.GET('/v1/disks');
            expect(list.response.status).toBe(403);
            expect(list.error).toMatchObject({
              error: { code: 'CLIENT_CERT_REQUIRED' },
            });
            expect(list.error!.error.message).toMatch(
              /needs the backend's certificate/,
            );
            const exportBody = {
              params: { path: { name: 'api' } },
              body: {
                peer: {
                  hostId: 'host-b',
                  certificateFingerprint256: b.fingerprint,
                },
              },
            };
            expect(
              (await asB.POST('/v1/disks/{name}/exports', exportBody)).response
                .status,
            ).toBe(403);
            const made = await exportTo(a, b, 'api');
            const read = await asB.GET('/v1/disks/{name}/exports/{id}', {
              params: { path: { name: 'api', id: made.id } },
            });
            expect(read.data).toMatchObject({ id: made.id, disk: 'api' });
            // A third agent of the same CA may neither read it nor open its transfer.
            const c = await startHost(ca, 'host-c', 'simulated');
            try {
              const asC = c.asPeer(a.t.agent.url);
              const other = await asC.GET('/v1/disks/{name}/exports/{id}', {
                params: { path: { name: 'api', id: made.id } },
              });
              asC.close();
              expect(other.response.status).toBe(403);
              expect(other.error!.error.message).toMatch(
                /is for host host-b only/,
              );
              const upgrade = await new Promise<{
                status: number;
                body: string;
              }>((resolve, reject) => {
                const req = https.request(
                  `${a.t.agent.url}/v1/disks/api/exports/${made.id}/rsync`,
                  {
                    ca: c.t.pki.ca.cert,
                    cert: c.t.pki.server.cert,
                    key: c.t.pki.server.key,
                    agent: false,
                    headers: { Connection: 'Upgrade', Upgrade: RSYNC_UPGRADE },
                  },
                );
                req.on('upgrade', () =>
                  reject(new Error('upgraded for the wrong peer')),
                );
                req.on('response', res => {
                  let body = '';
                  res.on('data', d => (body += d));
                  res.on('end', () =>
                    resolve({ status: res.statusCode!, body }),
                  );
                });
                req.on('error', reject);
                req.end();
              });
              expect(upgrade.status).toBe(403);
              expect(JSON.parse(upgrade.body).error.message).toMatch(
                /is for host host-b only/,
              );
            } finally {
              await c.close();
            }
            // The backend's certificate may not open a transfer either: it is the peer's alone.
            const plain = await a.t.client.GET(
              '/v1/disks/{name}/exports/{id}/rsync' as any,
              {
                params: { path: { name: 'api', id: made.id } },
              } as any,
            );
            expect((plain as any).response.status).toBe(400);
          } finally {
            asB.close();
          }
        });

        it('refuses imports on an agent whose certificate is for servers only, and offers no migration there', async () => {
          const old = await startTestAgent();
          try {
            expect(
              (await old.client.GET('/v1/info')).data!.capabilities,
            ).not.toContain('migration');
            const res = await old.client.POST('/v1/imports', {
              body: {
                disk: 'api',
                source: {
                  agentUrl: a.t.agent.url,
                  hostId: 'host-a',
                  certificateFingerprint256: a.fingerprint,
                  exportId: '00000000-0000-4000-8000-000000000000',
                },
              },
            });
            expect(res.response.status).toBe(409);
            expect(res.error).toMatchObject({
              error: { code: 'NOT_SUPPORTED' },
            });
            expect(res.error!.error.message).toMatch(/no clientAuth/);
          } finally {
            await old.close();
          }
        });

        it('cancels an import mid-way and leaves nothing behind', async () => {
          const slow = await startHost(ca, 'host-d', 'simulated', {
            migration: { bandwidthLimitKiBps: 512 },
          });
          try {
            await installLayers(slow.t, channel);
            await a.t.client.POST('/v1/disks', {
              body: { name: 'big', appliance: 'mail' },
            });
            const big = (
              await a.t.client.GET('/v1/disks/{name}', {
                params: { path: { name: 'big' } },
              })
            ).data!;
            await fs.appendFile(big.path, Buffer.alloc(8 * 1024 ** 2, 0x5a));
            const exported = await exportTo(a, slow, 'big');
            const started = await importFrom(slow, a, 'big', exported.id);
            const moving = await waitFor(
              async () =>
                (
                  await slow.t.client.GET('/v1/imports/{id}', {
                    params: { path: { id: started.data!.id } },
                  })
                ).data!,
              i => i.bytesDone > 0 || i.state !== 'transferring',
              20_000,
            );
            expect(moving.state).toBe('transferring');
            const t0 = Date.parse(moving.heartbeatAt);
            await new Promise(r => setTimeout(r, 1200));
            const later = (
              await slow.t.client.GET('/v1/imports/{id}', {
                params: { path: { id: started.data!.id } },
              })
            ).data!;
            expect(later.state).toBe('transferring');
            expect(Date.parse(later.heartbeatAt) - t0).toBeGreaterThanOrEqual(
              900,
            );
            expect(later.speedBytesPerSecond).toBeGreaterThan(0);
            expect(later.progress).toBeGreaterThan(0);
            expect(later.progress).toBeLessThan(1);

            const cancelled = await slow.t.client.DELETE('/v1/imports/{id}', {
              params: { path: { id: started.data!.id } },
            });
            expect(cancelled.data).toMatchObject({
              state: 'cancelled',
              error: { code: 'TRANSFER_CANCELLED' },
            });
            const data = slow.t.config.dataDir;
            expect(await filesUnder(path.join(data, 'imports'))).toEqual([]);
            expect(await filesUnder(path.join(data, 'disks'))).toEqual([]);
            expect(await filesUnder(path.join(data, 'deployments'))).toEqual(
              [],
            );
            const heartbeat = (
              await slow.t.client.GET('/v1/imports/{id}', {
                params: { path: { id: started.data!.id } },
              })
            ).data!.heartbeatAt;
            await new Promise(r => setTimeout(r, 600));
            expect(
              (
                await slow.t.client.GET('/v1/imports/{id}', {
                  params: { path: { id: started.data!.id } },
                })
              ).data!.heartbeatAt,
            ).toBe(heartbeat);
          } finally {
            await slow.close();
          }
        });
      },
    );
  },
);
