import { mockServices } from '@backstage/backend-test-utils';
import { SchedulerServiceTaskRunner } from '@backstage/backend-plugin-api';
import {
  EntityProviderConnection,
  EntityProviderMutation,
  EntityProviderRefreshOptions,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { APPLIANCES_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';
import { ApplianceEntityProvider } from './ApplianceEntityProvider';
import channels from './__fixtures__/channels.json';
import appliances from './__fixtures__/appliances.json';

const BASE = 'http://appliances.test/api/appliances';

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function setup(
  routes: Record<string, () => Response | Promise<Response>>,
  events?: EventsService,
) {
  const seen: { url: string; authorization: string | null }[] = [];
  const fetchMock = jest.fn(async (input: RequestInfo | URL) => {
    const request = input as Request;
    const url = new URL(request.url);
    seen.push({
      url: url.pathname + url.search,
      authorization: request.headers.get('authorization'),
    });
    const route = routes[url.pathname];
    return route
      ? route()
      : json({ error: { name: 'NotFoundError', message: 'no' } }, 404);
  });
  const connection: jest.Mocked<EntityProviderConnection> = {
    applyMutation: jest.fn(async (_mutation: EntityProviderMutation) => {}),
    refresh: jest.fn(async (_options: EntityProviderRefreshOptions) => {}),
  };
  const taskRunner: SchedulerServiceTaskRunner = {
    run: jest.fn(async () => {}),
  };
  const provider = new ApplianceEntityProvider({
    discovery: {
      getBaseUrl: async () => BASE,
      getExternalBaseUrl: async () => BASE,
    },
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    taskRunner,
    appBaseUrl: 'http://portal.test',
    events,
    fetch: fetchMock as unknown as typeof fetch,
  });
  return { provider, connection, seen, taskRunner };
}

describe('ApplianceEntityProvider', () => {
  it('applies one full mutation of virtual-appliance resources with stable location keys', async () => {
    const { provider, connection, seen, taskRunner } = setup({
      '/api/appliances/channels': () => json(channels),
      '/api/appliances/appliances': () => json(appliances),
    });
    await provider.connect(connection);
    expect(taskRunner.run).toHaveBeenCalledWith(
      expect.objectContaining({ id: 'tempest-appliances:refresh' }),
    );
    expect(await provider.refresh()).toEqual({ entities: 2, applied: true });
    expect(seen.every(s => /^Bearer /.test(s.authorization ?? ''))).toBe(true);

    expect(connection.applyMutation).toHaveBeenCalledTimes(1);
    const mutation = connection.applyMutation.mock.calls[0][0];
    expect(mutation.type).toBe('full');
    const [lb, fw] = (mutation as any).entities;
    expect(lb.locationKey).toBe('tempest-appliances:channel:sample');
    expect(lb.entity).toMatchObject({
      kind: 'Resource',
      metadata: {
        name: 'sample.loadbalancer.2.8.5-1',
        title: 'HAProxy Load Balancer 2.8.5-1',
        annotations: {
          'backstage.io/managed-by-location':
            'url:http://localhost:7007/api/appliances/static/channels/sample/feed.xml',
          'tempest.io/channel': 'sample',
          'tempest.io/version': '2.8.5-1',
          'tempest.io/provides': 'loadbalancer',
          'tempest.io/ostype': 'linux',
          'tempest.io/signature-state': 'verified',
          'tempest.io/unresolved-dependencies': 'monitoring',
        },
        links: [
          expect.objectContaining({
            url: 'http://portal.test/appliances/sample.loadbalancer.2.8.5-1',
            type: 'webpanel',
          }),
          expect.objectContaining({ type: 'definition' }),
        ],
      },
      spec: {
        type: 'virtual-appliance',
        owner: 'group:default/tempest-admins',
        dependsOn: [
          'resource:default/sample.webserv.1.1.0-0',
          'resource:default/sample.firewall.1.0.9-1',
        ],
      },
    });
    expect(fw.entity.metadata.links[0]).toEqual(
      expect.objectContaining({
        url: 'https://firewall-console.example.com/',
        title: 'Web panel',
      }),
    );
  });

  it('applies nothing again when nothing changed', async () => {
    const { provider, connection } = setup({
      '/api/appliances/channels': () => json(channels),
      '/api/appliances/appliances': () => json(appliances),
    });
    await provider.connect(connection);
    await provider.refresh();
    expect(await provider.refresh()).toEqual({ entities: 2, applied: false });
    expect(connection.applyMutation).toHaveBeenCalledTimes(1);
  });

  it.each([
    [
      'the channel list fails',
      {
        '/api/appliances/channels': () =>
          json({ error: { name: 'Error', message: 'db down' } }, 500),
      },
    ],
    [
      'the appliance list fails',
      {
        '/api/appliances/appliances': () =>
          json({ error: { name: 'Error', message: 'db down' } }, 503),
      },
    ],
    [
      'the backend is unreachable',
      {
        '/api/appliances/appliances': () =>
          Promise.reject(new TypeError('fetch failed')),
      },
    ],
  ])('sends no full mutation when %s', async (_name, broken) => {
    const { provider, connection } = setup({
      '/api/appliances/channels': () => json(channels),
      '/api/appliances/appliances': () => json(appliances),
      ...broken,
    });
    await provider.connect(connection);
    await expect(provider.refresh()).rejects.toThrow();
    expect(connection.applyMutation).not.toHaveBeenCalled();
  });

  it('sends no full mutation when a later page fails', async () => {
    let call = 0;
    const full = Array.from({ length: 1000 }, (_, i) => ({
      ...appliances.items[1],
      id: `sample.fw${i}.1`,
    }));
    const { provider, connection, seen } = setup({
      '/api/appliances/channels': () => json(channels),
      '/api/appliances/appliances': () =>
        ++call === 1
          ? json({ items: full, totalCount: 1500, offset: 0, limit: 1000 })
          : json({ error: { name: 'Error', message: 'timeout' } }, 500),
    });
    await provider.connect(connection);
    await expect(provider.refresh()).rejects.toThrow(/timeout/);
    expect(seen.map(s => s.url)).toContain(
      '/api/appliances/appliances?offset=1000&limit=1000',
    );
    expect(connection.applyMutation).not.toHaveBeenCalled();
  });

  it('refreshes when the appliances backend announces a change, without waiting for the schedule', async () => {
    const events = mockServices.events();
    let current = [appliances.items[0]];
    const { provider, connection } = setup(
      {
        '/api/appliances/channels': () => json(channels),
        '/api/appliances/appliances': () =>
          json({ items: current, totalCount: current.length }),
      },
      events,
    );
    await provider.connect(connection);
    await events.publish({ topic: APPLIANCES_CHANGED_TOPIC, eventPayload: {} });
    await waitFor(() => connection.applyMutation.mock.calls.length === 1);
    expect(
      (connection.applyMutation.mock.calls[0][0] as any).entities,
    ).toHaveLength(1);

    current = appliances.items;
    await events.publish({ topic: APPLIANCES_CHANGED_TOPIC, eventPayload: {} });
    await waitFor(() => connection.applyMutation.mock.calls.length === 2);
    expect(
      (connection.applyMutation.mock.calls[1][0] as any).entities,
    ).toHaveLength(2);
  });

  it('collapses a burst of changes into one more run, and loses none', async () => {
    let release!: () => void;
    const gate = new Promise<void>(resolve => {
      release = resolve;
    });
    let reads = 0;
    let current = [appliances.items[0]];
    const { provider, connection } = setup({
      '/api/appliances/channels': () => json(channels),
      '/api/appliances/appliances': async () => {
        reads++;
        if (reads === 1) await gate;
        return json({ items: current, totalCount: current.length });
      },
    });
    await provider.connect(connection);
    const first = provider.refreshSoon();
    // Three changes while the first run is still reading: the last one must win.
    current = appliances.items;
    const more = [
      provider.refreshSoon(),
      provider.refreshSoon(),
      provider.refreshSoon(),
    ];
    release();
    await Promise.all([first, ...more]);
    expect(reads).toBe(2);
    const last = connection.applyMutation.mock.calls.at(-1)![0] as any;
    expect(last.entities).toHaveLength(2);
  });
});

async function waitFor(check: () => boolean) {
  for (let i = 0; i < 100 && !check(); i++)
    await new Promise(r => setTimeout(r, 10));
  expect(check()).toBe(true);
}
