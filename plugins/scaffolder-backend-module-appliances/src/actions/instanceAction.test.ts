import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createInstanceActionAction } from './instanceAction';

const instance = (state: string, version = 3) => ({
  id: '0b6c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11',
  hostname: 'web-1',
  owner: 'user:default/buyer',
  applianceId: 'sample.web.1',
  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
  state,
  version,
  entityRef: 'resource:default/web-1',
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

function setup(routes: (url: string, init?: RequestInit) => Response) {
  const calls: Array<{ url: string; method: string; body?: any }> = [];
  const fetchMock = jest.fn(async (url: string, init?: RequestInit) => {
    calls.push({
      url,
      method: init?.method ?? 'GET',
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    return routes(url, init);
  });
  const action = createInstanceActionAction({
    discovery: mockServices.discovery(),
    auth: mockServices.auth(),
    fetch: fetchMock as any,
  });
  return { action, calls };
}

describe('appliances:instance:action', () => {
  it('finds the instance by its entity ref and acts at the version it read', async () => {
    const { action, calls } = setup((_url, init) =>
      init?.method === 'POST'
        ? json({ instance: { ...instance('stopped', 4) } })
        : json({ items: [instance('started')], totalCount: 1 }),
    );
    const ctx = createMockActionContext({
      input: { instance: 'resource:default/web-1', action: 'stop' },
    });
    await action.handler(ctx as any);
    expect(calls[0].url).toMatch(/\/instances\?limit=1&hostname=web-1$/);
    expect(calls[1]).toMatchObject({
      method: 'POST',
      url: expect.stringMatching(
        /\/instances\/0b6c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11\/actions$/,
      ),
      body: { action: 'stop', expectedVersion: 3 },
    });
    expect(ctx.output).toHaveBeenCalledWith('state', 'stopped');
    expect(ctx.output).toHaveBeenCalledWith('version', 4);
  });

  it('refuses an action the state does not allow before calling the backend, naming the allowed ones', async () => {
    const { action, calls } = setup(() => json(instance('stopped')));
    const ctx = createMockActionContext({
      input: {
        instance: '0b6c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11',
        action: 'suspend',
      },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      'Cannot suspend web-1: it is stopped; allowed now: start, delete; to move it, use appliances:instance:migrate.',
    );
    expect(calls.filter(c => c.method === 'POST')).toHaveLength(0);
  });

  it('shows the backend refusal of a stale version', async () => {
    const { action } = setup((_url, init) =>
      init?.method === 'POST'
        ? json(
            {
              error: {
                name: 'ConflictError',
                message:
                  'Instance web-1 is at version 5 (started), not 3: reload and try again',
              },
              reason: 'stale-version',
              currentState: 'started',
              currentVersion: 5,
              allowedActions: ['stop', 'suspend'],
            },
            409,
          )
        : json(instance('started')),
    );
    const ctx = createMockActionContext({
      input: {
        instance: '0b6c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11',
        action: 'stop',
        expectedVersion: 3,
      },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      /at version 5 \(started\), not 3/,
    );
  });

  it('says when the user may not see the instance', async () => {
    const { action } = setup(() => json({ items: [], totalCount: 0 }));
    const ctx = createMockActionContext({
      input: { instance: 'resource:default/theirs', action: 'stop' },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      "No instance 'theirs' that you may see",
    );
  });

  it('changes nothing in a dry run', async () => {
    const { action, calls } = setup(() => json(instance('started')));
    const ctx = createMockActionContext({
      input: {
        instance: '0b6c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11',
        action: 'stop',
      },
    });
    ctx.isDryRun = true;
    await action.handler(ctx as any);
    expect(calls.map(c => c.method)).toEqual(['GET']);
    expect(ctx.output).toHaveBeenCalledWith('state', 'started');
  });
});
