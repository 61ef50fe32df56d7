import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createAgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { emptyQcow2 } from '../../disks/qcow2';
import { CertificateAuthority } from '../../pki/createCertificateAuthority';
import { startChannel, waitFor } from '../../testing/channelFixture';
import { installImage } from '../../testing/installImage';
import { startTestAgent, TestAgent } from '../../testing/startTestAgent';

export type Channel = Awaited<ReturnType<typeof startChannel>>;

/** An agent with its own host certificate (server and client), as enrolled agents have. */
export async function startHost(
  ca: CertificateAuthority,
  hostId: string,
  overrides: Parameters<typeof startTestAgent>[0] = {},
  options: Omit<Parameters<typeof startTestAgent>[1], 'dir' | 'pki'> = {},
) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `tempest-${hostId}-`));
  const t = await startTestAgent(
    { name: hostId, ...overrides },
    { ...options, dir, pki: { ca, hostId } },
  );
  return {
    t,
    hostId,
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
export type Host = Awaited<ReturnType<typeof startHost>>;

/** The OS `debian` and the appliance `mail` on it, 64 MiB each (empty). */
export async function installLayers(t: TestAgent, channel: Channel) {
  await installImage(
    t,
    'os',
    'debian',
    await channel.publish('/os.qcow2', emptyQcow2(64 * 1024 ** 2)),
  );
  await installImage(
    t,
    'appliance',
    'mail',
    await channel.publish('/mail.qcow2', emptyQcow2(64 * 1024 ** 2), {
      os: 'debian',
    }),
  );
}

/** A live export of `disk` on `from` for `to`, imported there: the disk is ready for the domain. */
export async function moveDiskLive(from: Host, to: Host, disk: string) {
  const exported = await from.t.client.POST('/v1/disks/{name}/exports', {
    params: { path: { name: disk } },
    body: {
      peer: { hostId: to.hostId, certificateFingerprint256: to.fingerprint },
      live: true,
    },
  });
  if (exported.response.status !== 201)
    throw new Error(`live export refused: ${JSON.stringify(exported.error)}`);
  const started = await to.t.client.POST('/v1/imports', {
    body: {
      disk,
      source: {
        agentUrl: from.t.agent.url,
        hostId: from.hostId,
        certificateFingerprint256: from.fingerprint,
        exportId: exported.data!.id,
      },
    },
  });
  const done = await waitFor(
    async () =>
      (
        await to.t.client.GET('/v1/imports/{id}', {
          params: { path: { id: started.data!.id } },
        })
      ).data!,
    i => i.state !== 'transferring',
    60_000,
  );
  if (done.state !== 'done')
    throw new Error(`live import failed: ${JSON.stringify(done.error)}`);
  return exported.data!;
}

/** The destination's incoming migration for `name`, from `from`. */
export async function expectDomain(
  to: Host,
  from: Host,
  name: string,
  spec: { vcpus: number; memoryMiB: number; disk: string; nics?: any[] },
  ttlSeconds?: number,
) {
  return to.t.client.POST('/v1/domains/{name}/incoming', {
    params: { path: { name } },
    body: {
      spec,
      peer: {
        hostId: from.hostId,
        certificateFingerprint256: from.fingerprint,
      },
      ...(ttlSeconds ? { ttlSeconds } : {}),
    },
  });
}

/** The source's live migration of `name` to `to`. */
export async function migrate(
  from: Host,
  to: Host,
  name: string,
  incomingId: string,
) {
  return from.t.client.POST('/v1/domains/{name}/migrations', {
    params: { path: { name } },
    body: {
      destination: {
        agentUrl: to.t.agent.url,
        hostId: to.hostId,
        certificateFingerprint256: to.fingerprint,
        incomingId,
      },
    },
  });
}

/** The migration once it has ended. */
export function migrationEnded(from: Host, name: string, id: string) {
  return waitFor(
    async () =>
      (
        await from.t.client.GET('/v1/domains/{name}/migrations/{id}', {
          params: { path: { name, id } },
        })
      ).data!,
    m => m.state !== 'migrating',
    120_000,
  );
}

/** An upgrade request to a migration stream with some certificate: the status and body it is refused with, or 101. */
export function openStream(
  url: string,
  tls: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      ...tls,
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'tempest-migration' },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '' });
    });
    req.on('response', res => {
      let body = '';
      res.on('data', d => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Files under a folder, relative, for "nothing left behind". */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs
    .readdir(dir, { recursive: true, withFileTypes: true })
    .catch(e => {
      if (e.code === 'ENOENT') return [];
      throw e;
    });
  return entries
    .filter(e => !e.isDirectory())
    .map(e => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
