import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createMigrateInstanceAction } from './migrateInstance';

const ID = '0b6c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11';

const instance = (state: string, hostName: string, version = 3) => ({
  id: ID,
  hostname: 'web-1',
  owner: 'user:default/buyer',
  applianceId: 'sample.web.1',
  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
  state,
  version,
  hostName,
  entityRef: 'resource:default/web-1',
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
});

const targets = {
  summary: 'Chose sim-host-2: best fit of 1 fitting host(s)',
  items: [
    {
      hostId: 'h2',
      hostName: 'sim-host-2',
      fits: true,
      recommended: true,
      detail: 'sim-host-2 has room',
    },
    {
      hostId: 'h3',
      hostName: 'sim-host-3',
      fits: false,
      recommended: false,
      detail: 'sim-host-3 needs 512 MB more memory',
    },
  ],
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/**
 * A backend whose instance starts stopped on sim-host-1; the operation
 * goes through `operationStates` poll by poll and, once it has succeeded,
 * the instance is on sim-host-2.
 */
function backend(
  operationStates: string[],
  options: { state?: string; refuse?: unknown } = {},
) {
  const calls: Array<{ path: string; method: string; body?: any }> = [];
  let polls = 0;
  let finished: string | undefined;
  const fetchMock = jest.fn(async (url: string, init?: RequestInit) => {
    const path = new URL(url).pathname.replace('/api/appliances', '');
    const method = init?.method ?? 'GET';
    calls.push({
      path,
      method,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    if (path === `/instances/${ID}/actions`) {
      if (options.refuse) return json(options.refuse, 409);
      return json({
        instance: instance('migrating', 'sim-host-1', 4),
        operationId: 'op7',
      });
    }
    if (path === `/instances/${ID}/migration-targets`) return json(targets);
    if (path === '/operations/op7') {
      const state =
        operationStates[Math.min(polls++, operationStates.length - 1)];
      if (state === 'succeeded' || state === 'failed') finished = state;
      return json({
        id: 'op7',
        kind: 'migrate',
        instanceId: ID,
        state,
        ...(state === 'failed'
          ? {
              failedStep: 'transfer',
              error:
                'sim-host-2 sent no heartbeat for 30 s while pulling the disk from sim-host-1',
            }
          : {}),
        steps: [
          { name: 'place', state: 'done', progress: 1 },
          {
            name: 'transfer',
            state: state === 'running' ? 'running' : 'done',
            progress: 0.5,
            detail: {
              from: 'sim-host-1',
              to: 'sim-host-2',
              bytesDone: 512 * 1048576,
              bytesTotal: 1024 * 1048576,
              speedBytesPerSecond: 64 * 1048576,
            },
          },
        ],
      });
    }
    if (path === `/instances/${ID}`) {
      if (finished === 'succeeded')
        return json(instance('stopped', 'sim-host-2', 5));
      if (finished === 'failed')
        return json(instance('stopped', 'sim-host-1', 5));
      return json(instance(options.state ?? 'stopped', 'sim-host-1'));
    }
    if (path === '/instances')
      return json({
        items: [instance(options.state ?? 'stopped', 'sim-host-1')],
        totalCount: 1,
      });
    return json({ error: { name: 'NotFoundError', message: 'nope' } }, 404);
  });
  const action = createMigrateInstanceAction({
    discovery: mockServices.discovery(),
    auth: mockServices.auth(),
    fetch: fetchMock as any,
    pollMs: 1,
  });
  return { action, calls };
}

describe('appliances:instance:migrate', () => {
  it('moves once to the host given at the version it read, follows the transfer and outputs the new host', async () => {
    const { action, calls } = backend(['running', 'running', 'succeeded']);
    const logger = mockServices.logger.mock();
    const ctx = createMockActionContext({
      input: {
        instance: 'resource:default/web-1',
        host: 'resource:default/sim-host-2.host',
      },
      logger,
    });
    await action.handler(ctx as any);
    const posts = calls.filter(c => c.method === 'POST');
    expect(posts).toEqual([
      {
        path: `/instances/${ID}/actions`,
        method: 'POST',
        body: { action: 'migrate', expectedVersion: 3, hostId: 'h2' },
      },
    ]);
    expect(ctx.output).toHaveBeenCalledWith('hostName', 'sim-host-2');
    expect(ctx.output).toHaveBeenCalledWith('operationId', 'op7');
    expect(ctx.output).toHaveBeenCalledWith('state', 'stopped');
    expect(logger.info.mock.calls.flat()).toContain(
      'transfer: pulling the disk from sim-host-1: 512.0 of 1024.0 MiB (50%), 64.0 MiB/s',
    );
  });

  it("leaves the choice to Tempest without a host, and sends the user's version", async () => {
    const { action, calls } = backend(['succeeded']);
    const ctx = createMockActionContext({
      input: { instance: ID, expectedVersion: 2 },
    });
    await action.handler(ctx as any);
    expect(calls.find(c => c.method === 'POST')!.body).toEqual({
      action: 'migrate',
      expectedVersion: 2,
    });
  });

  it('fails with the reason after the backend reverted the move', async () => {
    const { action } = backend(['running', 'failed']);
    const ctx = createMockActionContext({ input: { instance: ID } });
    const error = await action.handler(ctx as any).catch(e => e);
    expect(error.message).toBe(
      'Moving web-1 failed at transfer and was reverted; it stays stopped on sim-host-1: sim-host-2 sent no heartbeat for 30 s while pulling the disk from sim-host-1.',
    );
    expect(String(error.stack)).toBe(error.message);
    expect(ctx.output).not.toHaveBeenCalledWith('hostName', expect.anything());
  });

  it('refuses a suspended instance before calling the backend', async () => {
    const { action, calls } = backend(['succeeded'], { state: 'suspended' });
    const ctx = createMockActionContext({ input: { instance: ID } });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      'Cannot move web-1: it is suspended, and only running, stopped or stored instances move; allowed now: resume, stop.',
    );
    expect(calls.filter(c => c.method === 'POST')).toHaveLength(0);
  });

  it("ends with the backend's sentence when nowhere fits", async () => {
    const { action, calls } = backend(['succeeded'], {
      refuse: {
        error: {
          name: 'ConflictError',
          message:
            'Cannot move web-1: user:default/pat has no other host to move to from sim-host-1',
          stack: 'ConflictError: Cannot move\n    at /work/secret/path.ts:1:1',
        },
        // The usual Backstage error body, as instanceRoutes answers a refusal.
        request: {
          method: 'POST',
          url: `/api/appliances/instances/${ID}/actions`,
        },
        response: { statusCode: 409 },
        reason: 'no-destination',
        currentState: 'stopped',
        currentVersion: 3,
        allowedActions: ['start', 'delete', 'migrate'],
      },
    });
    const ctx = createMockActionContext({ input: { instance: ID } });
    const error = await action.handler(ctx as any).catch(e => e);
    expect(error.message).toBe(
      'Cannot move web-1: user:default/pat has no other host to move to from sim-host-1.',
    );
    expect(String(error.stack)).toBe(error.message);
    expect(calls.some(c => c.path.startsWith('/operations'))).toBe(false);
  });

  it('does not ask again when the checkpoint already holds the accepted move', async () => {
    const { action, calls } = backend(['succeeded']);
    const ctx = createMockActionContext({ input: { instance: ID } });
    ctx.checkpoint = jest.fn(async () => ({
      instance: instance('migrating', 'sim-host-1', 4),
      operationId: 'op7',
    })) as any;
    await action.handler(ctx as any);
    expect(calls.filter(c => c.method === 'POST')).toHaveLength(0);
    expect(ctx.output).toHaveBeenCalledWith('hostName', 'sim-host-2');
  });

  it('refuses a host the instance may not move to before asking to move', async () => {
    const { action, calls } = backend(['succeeded']);
    const ctx = createMockActionContext({
      input: { instance: ID, host: 'sim-host-9' },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      'Cannot move web-1: host sim-host-9 is not one it may move to',
    );
    expect(calls.filter(c => c.method === 'POST')).toHaveLength(0);
  });

  it('dry-run only reads, and says where the instance would go or why not', async () => {
    const { action, calls } = backend(['succeeded']);
    const ctx = createMockActionContext({ input: { instance: ID } });
    ctx.isDryRun = true;
    await action.handler(ctx as any);
    expect(calls.map(c => c.method)).toEqual(['GET', 'GET']);
    expect(ctx.output).toHaveBeenCalledWith('hostName', 'sim-host-2');

    const full = createMockActionContext({
      input: { instance: ID, host: 'sim-host-3' },
    });
    full.isDryRun = true;
    await expect(action.handler(full as any)).rejects.toThrow(
      'Cannot move web-1: sim-host-3 needs 512 MB more memory.',
    );
  });
});
