import { mockServices, mockCredentials } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createProvisionInstanceAction } from './provisionInstance';

const estimate = {
  chosen: {
    hostId: 'h1',
    hostName: 'sim-host-1',
    score: 0.5,
    poweredOn: true,
    price: {},
    pricePerHourMinor: 12,
  },
  rejected: [],
  candidates: 1,
  summary: 'Chose sim-host-1',
  minimum: { cpuCores: 1, memoryMb: 256, storageMb: 576 },
};

function backend(
  operationStates: string[],
  estimateAnswer: { status: number; body: unknown } = {
    status: 200,
    body: estimate,
  },
) {
  const calls: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: any;
  }[] = [];
  let polls = 0;
  const fetchMock = jest.fn(async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname.replace('/api/appliances', '');
    calls.push({
      method: init.method!,
      path,
      headers: init.headers as any,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    });
    const json = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    if (path === '/instances/estimate')
      return json(estimateAnswer.status, estimateAnswer.body);
    if (path === '/instances' && init.method === 'POST')
      return json(202, { operationId: 'op1', instanceId: 'i1', created: true });
    if (path === '/operations/op1') {
      const state =
        operationStates[Math.min(polls++, operationStates.length - 1)];
      return json(200, {
        id: 'op1',
        state,
        ...(state === 'failed'
          ? {
              failedStep: 'create-disk',
              error: 'create-disk failed: DISK_FULL',
            }
          : {}),
        steps: [
          { name: 'place', state: 'done', progress: 1 },
          {
            name: 'create-disk',
            state: 'running',
            progress: 0.5,
            detail: { current: { name: 'hda3', role: 'swap', sizeMiB: 128 } },
          },
          {
            name: 'install-images',
            state: 'running',
            progress: 0.5,
            detail: {
              current: {
                kind: 'appliance',
                name: 'webserv',
                receivedBytes: 10,
                speedBytesPerSecond: 2097152,
              },
            },
          },
        ],
      });
    }
    if (path === '/instances/i1') {
      return json(200, {
        id: 'i1',
        hostname: 'web-1',
        state: 'started',
        hostName: 'sim-host-1',
        entityRef: 'resource:default/web-1',
        price: { pricePerHourMinor: 12 },
      });
    }
    return json(404, { error: { name: 'NotFoundError', message: 'nope' } });
  });
  const action = createProvisionInstanceAction({
    discovery: mockServices.discovery(),
    auth: mockServices.auth(),
    fetch: fetchMock as any,
    pollMs: 1,
  });
  return { action, calls };
}

const input = {
  appliance: 'resource:default/sample.webserv.1.1.0',
  hostname: 'web-1',
  cpuCores: 2,
  memoryMb: 2048,
  storageMb: 20480,
  timeoutSeconds: 30,
};

describe('appliances:instance:provision', () => {
  it('requests once with an Idempotency-Key, follows the operation and outputs the entity ref', async () => {
    const { action, calls } = backend(['running', 'running', 'succeeded']);
    const logger = mockServices.logger.mock();
    const ctx = createMockActionContext({
      input,
      logger,
      getInitiatorCredentials: async () =>
        mockCredentials.user('user:default/buyer'),
    });
    await action.handler(ctx as any);
    const posts = calls.filter(c => c.path === '/instances');
    expect(posts).toHaveLength(1);
    expect(posts[0].body).toEqual({
      applianceId: 'sample.webserv.1.1.0',
      hostname: 'web-1',
      size: { cpuCores: 2, memoryMb: 2048, storageMb: 20480 },
    });
    expect(posts[0].headers['idempotency-key']).toMatch(
      /^scaffolder:.+:web-1$/,
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'resource:default/web-1',
    );
    expect(ctx.output).toHaveBeenCalledWith('pricePerHourMinor', 12);
    expect(logger.info.mock.calls.flat().join('\n')).toMatch(
      /install-images: appliance webserv 50%, 2.0 MiB\/s/,
    );
    expect(logger.info.mock.calls.flat()).toContain(
      'create-disk: swap disk hda3 of 128 MiB',
    );
  });

  it("passes the instance's domain, SSH key and variables on, leaving out empty fields", async () => {
    const { action, calls } = backend(['succeeded']);
    const ctx = createMockActionContext({
      input: {
        ...input,
        domain: ' lab.example.com ',
        sshPublicKey: 'ssh-ed25519 AAAAC3Nza me@laptop\n',
        variables: { DNS_RECORDS: 'www=10.0.0.8', ALLOW_TCP: '' },
      },
      getInitiatorCredentials: async () =>
        mockCredentials.user('user:default/buyer'),
    });
    await action.handler(ctx as any);
    const post = calls.find(c => c.path === '/instances')!;
    expect(post.body).toMatchObject({
      domain: 'lab.example.com',
      sshAuthorizedKeys: ['ssh-ed25519 AAAAC3Nza me@laptop'],
      variables: { DNS_RECORDS: 'www=10.0.0.8' },
    });
    // The estimate gets the same body, so it refuses what provisioning would.
    expect(calls.find(c => c.path === '/instances/estimate')!.body).toEqual(
      post.body,
    );

    const bare = backend(['succeeded']);
    await bare.action.handler(
      createMockActionContext({
        input: { ...input, domain: '', sshPublicKey: '  ', variables: {} },
        getInitiatorCredentials: async () =>
          mockCredentials.user('user:default/buyer'),
      }) as any,
    );
    expect(
      Object.keys(bare.calls.find(c => c.path === '/instances')!.body),
    ).toEqual(['applianceId', 'hostname', 'size']);
  });

  it('does not request again when the checkpoint already holds the accepted operation', async () => {
    const { action, calls } = backend(['succeeded']);
    const ctx = createMockActionContext({ input });
    ctx.checkpoint = jest.fn(async () => ({
      operationId: 'op1',
      instanceId: 'i1',
      created: true,
    })) as any;
    await action.handler(ctx as any);
    expect(calls.filter(c => c.path === '/instances')).toHaveLength(0);
    expect(ctx.output).toHaveBeenCalledWith('instanceId', 'i1');
  });

  it('dry-run estimates and provisions nothing', async () => {
    const { action, calls } = backend(['succeeded']);
    const ctx = createMockActionContext({ input });
    ctx.isDryRun = true;
    await action.handler(ctx as any);
    expect(calls.map(c => c.path)).toEqual(['/instances/estimate']);
    expect(ctx.output).toHaveBeenCalledWith('hostName', 'sim-host-1');
  });

  it('fails the task with the failed step and its reason', async () => {
    const { action } = backend(['running', 'failed']);
    const ctx = createMockActionContext({ input });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      /everything it had done was undone: create-disk failed: DISK_FULL/,
    );
  });

  it('creates nothing when the estimate refuses, and ends with its reason as a sentence, no stack', async () => {
    const { action, calls } = backend(['succeeded'], {
      status: 409,
      body: {
        error: {
          name: 'ConflictError',
          message:
            'No host can run 2 cores, 2,048 MB memory, 20,480 MB storage within €0.01 per hour: sim-host-1 costs €0.12 per hour, over the limit of €0.01.',
          stack: 'ConflictError: No host\n    at /work/secret/path.ts:1:1',
        },
        request: { method: 'POST', url: '/instances/estimate' },
        response: { statusCode: 409 },
      },
    });
    const ctx = createMockActionContext({ input });
    const error = await action.handler(ctx as any).catch(e => e);
    expect(error.message).toBe(
      'No host can run 2 cores, 2,048 MB memory, 20,480 MB storage within €0.01 per hour: sim-host-1 costs €0.12 per hour, over the limit of €0.01.',
    );
    // The scaffolder logs a failed step's stack: it must be the sentence alone.
    expect(String(error.stack)).toBe(error.message);
    expect(calls.map(c => c.path)).toEqual(['/instances/estimate']);
  });
});
