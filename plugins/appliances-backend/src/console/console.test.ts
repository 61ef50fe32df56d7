import {
  TestDatabases,
  mockCredentials,
  mockServices,
} from '@backstage/backend-test-utils';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import request from 'supertest';
import WebSocket, { createWebSocketStream } from 'ws';
import {
  qcow2Image,
  startChannel,
  startTestAgent,
  TestAgent,
  waitFor,
} from '@tempest/provider-agent/testing';
import { rfbConnect } from '@tempest/provider-agent/testing';
import { startAppliancesTestBackend } from '../__testUtils__/startAppliancesTestBackend';
import { createOnlineTestHost } from '../__testUtils__/provisionTestBed';
import { HostStore } from '../hosts/HostStore';
import { SecretBox } from '../hosts/SecretBox';
import { REPLACED_CLOSE_CODE } from './ConsoleSessions';

jest.setTimeout(40_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
const owner = 'user:default/buyer';
const stranger = 'user:default/other';
const as = (ref: string) => mockCredentials.user.header(ref);

/**
 * Opens a console websocket; resolves when open with the socket and a stream
 * of it (made at once: the display speaks first), rejects with the refusal's
 * status and message.
 */
function openSession(
  base: string,
  websocketPath: string,
): Promise<{ ws: WebSocket; stream: Duplex }> {
  const ws = new WebSocket(`${base}${websocketPath}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, stream: createWebSocketStream(ws) }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', c => (body += c));
      res.on('end', () =>
        reject(
          Object.assign(new Error(JSON.parse(body).error.message as string), {
            status: res.statusCode,
          }),
        ),
      );
    });
    ws.once('error', reject);
  });
}

describe('instance consoles', () => {
  let agent: TestAgent;
  let channel: Awaited<ReturnType<typeof startChannel>>;

  // One simulated agent for both databases: two running domains, one stopped.
  beforeAll(async () => {
    agent = await startTestAgent();
    channel = await startChannel();
    const install = async (
      kind: 'os' | 'appliance',
      name: string,
      body: any,
    ) => {
      const res = await agent.client.PUT('/v1/images/{kind}/{name}', {
        params: { path: { kind, name } },
        body,
      });
      const id = (res.data as any).id;
      await waitFor(
        async () =>
          (
            await agent.client.GET('/v1/downloads/{id}', {
              params: { path: { id } },
            })
          ).data!,
        d => d.state === 'done',
      );
    };
    await install(
      'os',
      'base',
      await channel.publish('/os.img', qcow2Image(64 * 1024)),
    );
    await install(
      'appliance',
      'web',
      await channel.publish('/app.img', qcow2Image(64 * 1024, 'os.img'), {
        os: 'base',
      }),
    );
    for (const name of ['web-1', 'web-2', 'web-3']) {
      await agent.client.POST('/v1/disks', {
        body: { name, appliance: 'web' },
      });
      await agent.client.PUT('/v1/domains/{name}', {
        params: { path: { name } },
        body: { vcpus: 1, memoryMiB: 128, disk: name },
      });
      if (name !== 'web-3')
        await agent.client.POST('/v1/domains/{name}/start', {
          params: { path: { name } },
        });
    }
  });
  afterAll(async () => {
    await agent?.close();
    await channel?.close();
  });

  describe.each(databases.eachSupportedId())('on %s', databaseId => {
    async function start() {
      const knex = await databases.init(databaseId);
      const auditor = mockServices.auditor.mock();
      const { server } = await startAppliancesTestBackend({
        knex,
        dataDirPrefix: 'tempest-console-',
        features: [auditor.factory],
        agentPki: agent.pki,
      });
      const host = await createOnlineTestHost(
        knex,
        new HostStore(knex, new SecretBox('k'.repeat(32))),
        agent,
      );
      const seed = (id: string, who: string, domain: string, state: string) =>
        knex('instances').insert({
          id,
          hostname: domain,
          active_hostname: domain,
          owner: who,
          appliance_id: 'sample.web.1',
          cpu_cores: 1,
          memory_mb: 128,
          storage_mb: 1024,
          state,
          version: 3,
          host_id: host.id,
          domain_name: domain,
          created_at: new Date(),
          updated_at: new Date(),
        });
      await seed('i-1', owner, 'web-1', 'started');
      await seed('i-2', stranger, 'web-2', 'started');
      await seed('i-3', owner, 'web-3', 'stopped');
      const { port } = (server as any).address() as AddressInfo;
      const base = `ws://127.0.0.1:${port}/api/appliances`;
      const ticket = async (id: string, who = owner) =>
        request(server)
          .post(`/api/appliances/instances/${id}/console`)
          .set('Authorization', as(who));
      return { server, knex, auditor, base, ticket };
    }

    it("opens the owner's console with a single-use ticket: RFB 3.8 and the test framebuffer through the backend and the agent", async () => {
      const { base, ticket, auditor } = await start();
      const issued = await ticket('i-1');
      expect(issued.status).toBe(201);
      expect(issued.body).toEqual({
        ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: expect.any(String),
        websocketPath: `/console/sessions/i-1?ticket=${issued.body.ticket}`,
      });
      const ttl = Date.parse(issued.body.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(20_000);
      expect(ttl).toBeLessThanOrEqual(30_000);

      const { stream } = await openSession(base, issued.body.websocketPath);
      const session = await rfbConnect(stream);
      expect(session).toMatchObject({
        version: 'RFB 003.008',
        name: 'Tempest simulated console: web-1',
      });
      const frame = await session.readFrame();
      expect(frame.pixel(5, 5)).toEqual([255, 255, 255]);
      stream.destroy();

      // The same ticket again: refused, whoever holds it.
      await expect(
        openSession(base, issued.body.websocketPath),
      ).rejects.toMatchObject({
        status: 401,
        message: expect.stringMatching(/already used/),
      });
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({ eventId: 'instance-console-ticket' }),
      );
      expect(auditor.createEvent).toHaveBeenCalledWith(
        expect.objectContaining({
          eventId: 'instance-console-session',
          meta: { instanceId: 'i-1' },
        }),
      );
    });

    it("refuses another user's ticket, an expired ticket and no ticket; others cannot get one", async () => {
      const { base, ticket, knex } = await start();
      // Bob is told the instance does not exist.
      expect((await ticket('i-1', stranger)).status).toBe(404);
      // Bob's ticket for his own instance opens nothing of Ann's.
      const bobs = await ticket('i-2', stranger);
      expect(bobs.status).toBe(201);
      await expect(
        openSession(base, `/console/sessions/i-1?ticket=${bobs.body.ticket}`),
      ).rejects.toMatchObject({ status: 401 });
      // Nor afterwards on his own: a refused try used it up.
      await expect(
        openSession(base, bobs.body.websocketPath),
      ).rejects.toMatchObject({ status: 401 });

      const late = await ticket('i-1');
      await knex('console_tickets').update({
        expires_at: new Date(Date.now() - 1000),
      });
      await expect(
        openSession(base, late.body.websocketPath),
      ).rejects.toMatchObject({
        status: 401,
        message: expect.stringMatching(/expired/),
      });
      await expect(
        openSession(base, '/console/sessions/i-1'),
      ).rejects.toMatchObject({ status: 401 });
      await expect(
        openSession(base, '/console/sessions/i-1?ticket=forged'),
      ).rejects.toMatchObject({ status: 401 });
    });

    it('keeps one session per instance: a new one closes the old with a reason', async () => {
      const { base, ticket } = await start();
      const { ws: first } = await openSession(
        base,
        (await ticket('i-1')).body.websocketPath,
      );
      const closed = new Promise<{ code: number; reason: string }>(resolve =>
        first.once('close', (code, reason) =>
          resolve({ code, reason: reason.toString() }),
        ),
      );
      const { stream } = await openSession(
        base,
        (await ticket('i-1')).body.websocketPath,
      );
      await expect(closed).resolves.toEqual({
        code: REPLACED_CLOSE_CODE,
        reason: 'Another console session for this instance was opened',
      });
      expect((await rfbConnect(stream)).version).toBe('RFB 003.008');
      stream.destroy();
    });

    it('refuses a ticket while the instance is stopped, and serves its serial log', async () => {
      const { server, ticket } = await start();
      const stopped = await ticket('i-3');
      expect(stopped.status).toBe(409);
      expect(stopped.body.error.message).toMatch(
        /web-3 is stopped: its console opens while it is started or suspended/,
      );
      const log = await request(server)
        .get('/api/appliances/instances/i-1/serial-log')
        .set('Authorization', as(owner));
      expect(log.status).toBe(200);
      expect(log.type).toBe('text/plain');
      expect(log.text).toContain('web-1 login:');
      const hidden = await request(server)
        .get('/api/appliances/instances/i-1/serial-log')
        .set('Authorization', as(stranger));
      expect(hidden.status).toBe(404);
    });
  });
});
