import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { createHostPowerAction } from './hostPower';

const host = (power: string, bmc = true) => ({
  id: '7d1c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11',
  name: 'rack1',
  owner: 'user:default/provider',
  state: 'online',
  poweredOn: power !== 'off',
  power: { state: power },
  ...(bmc ? { bmc: { address: '10.0.0.9', hasCredentials: true } } : {}),
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
  const action = createHostPowerAction({
    discovery: mockServices.discovery(),
    auth: mockServices.auth(),
    fetch: fetchMock as any,
  });
  return { action, calls };
}

describe('appliances:host:power', () => {
  it('finds the host by its entity ref and powers it through the API', async () => {
    const { action, calls } = setup((_url, init) =>
      init?.method === 'POST'
        ? json(host('off'))
        : json({ items: [host('on')] }),
    );
    const ctx = createMockActionContext({
      input: {
        host: 'resource:default/rack1.host',
        action: 'off',
        force: true,
      },
    });
    await action.handler(ctx as any);
    expect(calls[0].url).toMatch(/\/hosts$/);
    expect(calls[1]).toMatchObject({
      method: 'POST',
      url: expect.stringMatching(
        /\/hosts\/7d1c4c9e-3a44-4a8e-9f3f-0f0e4c1f2a11\/power$/,
      ),
      body: { action: 'off', force: true },
    });
    expect(ctx.output).toHaveBeenCalledWith('power', 'off');
  });

  it('says a host without a BMC cannot be powered, before calling the power route', async () => {
    const { action, calls } = setup(() => json({ items: [host('on', false)] }));
    const ctx = createMockActionContext({
      input: { host: 'rack1', action: 'cycle' },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      'rack1 has no BMC address and credentials; register them to power it',
    );
    expect(calls.filter(c => c.method === 'POST')).toHaveLength(0);
  });

  it('shows the backend refusal of a host with running instances', async () => {
    const { action } = setup((_url, init) =>
      init?.method === 'POST'
        ? json(
            {
              error: {
                name: 'ConflictError',
                message:
                  'rack1 has 1 running instance: web-1 (started). To power off it anyway, use force: they are stopped cleanly first.',
              },
            },
            409,
          )
        : json({ items: [host('on')] }),
    );
    const ctx = createMockActionContext({
      input: { host: 'rack1', action: 'off' },
    });
    await expect(action.handler(ctx as any)).rejects.toThrow(
      /rack1 has 1 running instance: web-1 \(started\)/,
    );
  });

  it('only says what it would do in a dry run', async () => {
    const { action, calls } = setup(() => json({ items: [host('off')] }));
    const ctx = createMockActionContext({
      input: { host: 'rack1', action: 'on' },
    });
    ctx.isDryRun = true;
    await action.handler(ctx as any);
    expect(calls.filter(c => c.method === 'POST')).toHaveLength(0);
    expect(ctx.output).toHaveBeenCalledWith('power', 'off');
  });
});
