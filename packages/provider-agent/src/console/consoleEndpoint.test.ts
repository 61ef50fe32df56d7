import WebSocket, { createWebSocketStream } from 'ws';
import { emptyQcow2 } from '../disks/qcow2';
import { issueCertificate } from '../pki/issueCertificate';
import { startChannel, waitFor } from '../testing/channelFixture';
import { rfbConnect } from '../testing/rfbClient';
import { startTestAgent, TestAgent } from '../testing/startTestAgent';
import { TEST_PATTERN_BAND, TEST_PATTERN_BARS } from './testPattern';

/** Opens the agent's console websocket with a given client certificate. */
function openConsole(
  t: TestAgent,
  name: string,
  cert: { cert: string; key: string } = t.pki.client,
): Promise<WebSocket> {
  const ws = new WebSocket(
    `${t.agent.url.replace('https:', 'wss:')}/v1/domains/${name}/vnc`,
    { ca: t.pki.ca.cert, cert: cert.cert, key: cert.key },
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', c => (body += c));
      res.on('end', () =>
        reject(Object.assign(new Error(body), { status: res.statusCode })),
      );
    });
    ws.once('error', reject);
  });
}

describe('the agent console endpoint (simulated driver)', () => {
  let t: TestAgent;
  let channel: Awaited<ReturnType<typeof startChannel>>;
  const params = { params: { path: { name: 'web-1' } } };

  beforeAll(async () => {
    channel = await startChannel();
    t = await startTestAgent();
    const install = async (
      kind: 'os' | 'appliance',
      name: string,
      body: any,
    ) => {
      const res = await t.client.PUT('/v1/images/{kind}/{name}', {
        params: { path: { kind, name } },
        body,
      });
      const id = (res.data as any).id;
      await waitFor(
        async () =>
          (
            await t.client.GET('/v1/downloads/{id}', {
              params: { path: { id } },
            })
          ).data!,
        d => d.state === 'done',
      );
    };
    await install(
      'os',
      'debian',
      await channel.publish('/os.qcow2', emptyQcow2(1024 ** 3)),
    );
    await install(
      'appliance',
      'web',
      await channel.publish('/web.qcow2', emptyQcow2(1024 ** 3), {
        os: 'debian',
      }),
    );
    await t.client.POST('/v1/disks', {
      body: { name: 'web-1', appliance: 'web' },
    });
    await t.client.PUT('/v1/domains/{name}', {
      ...params,
      body: { vcpus: 1, memoryMiB: 128, disk: 'web-1' },
    });
  });
  afterAll(async () => {
    await t.close();
    await channel.close();
  });

  it('refuses the console of a domain that is not running (409) or not defined (404)', async () => {
    await expect(openConsole(t, 'web-1')).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('DOMAIN_STATE_CONFLICT'),
    });
    await expect(openConsole(t, 'ghost')).rejects.toMatchObject({
      status: 404,
    });
  });

  it("pipes a running domain's display over a websocket: RFB 3.8 and the test framebuffer", async () => {
    await t.client.POST('/v1/domains/{name}/start', params);
    const ws = await openConsole(t, 'web-1');
    const stream = createWebSocketStream(ws);
    try {
      const session = await rfbConnect(stream);
      expect(session).toMatchObject({
        version: 'RFB 003.008',
        width: 640,
        height: 480,
        name: 'Tempest simulated console: web-1',
      });
      const frame = await session.readFrame();
      expect(frame.pixel(5, 5)).toEqual(TEST_PATTERN_BARS[0]);
      expect(frame.pixel(635, 5)).toEqual(TEST_PATTERN_BARS[7]);
      expect(frame.pixel(320, 470)).toEqual(TEST_PATTERN_BAND);
    } finally {
      stream.destroy();
    }
  });

  it("serves the simulated guest's serial log", async () => {
    const log = await t.client.GET('/v1/domains/{name}/console', {
      ...params,
      parseAs: 'text',
    });
    expect(log.data).toContain('web-1 login:');
  });

  it("opens consoles for the backend's certificate only", async () => {
    const other = await issueCertificate({
      ca: t.pki.ca,
      kind: 'client',
      name: 'someone-else',
    });
    await expect(openConsole(t, 'web-1', other)).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('backend'),
    });
    // A server certificate from the same CA: refused as every other call is.
    await expect(openConsole(t, 'web-1', t.pki.server)).rejects.toThrow();
    // An agent's certificate (it may call other agents to migrate disks) is no backend, whatever its name.
    const agent = await issueCertificate({
      ca: t.pki.ca,
      kind: 'agent',
      name: 'tempest-backend',
      sans: ['URI:urn:tempest:host:h-9'],
    });
    await expect(openConsole(t, 'web-1', agent)).rejects.toMatchObject({
      status: 403,
      message: expect.stringContaining('host h-9'),
    });
  });

  it('answers 404 to an upgrade of any other path', async () => {
    const ws = new WebSocket(
      `${t.agent.url.replace('https:', 'wss:')}/v1/info`,
      {
        ca: t.pki.ca.cert,
        cert: t.pki.client.cert,
        key: t.pki.client.key,
      },
    );
    const status = await new Promise(resolve =>
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
    );
    expect(status).toBe(404);
  });
});
