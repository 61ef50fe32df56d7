import { mockServices } from '@backstage/backend-test-utils';
import { EntityProviderConnection } from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { HOSTING_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';
import { HostingEntityProvider } from './HostingEntityProvider';

const host = {
  id: 'h1',
  name: 'rack1-node4',
  owner: 'group:default/tempest-providers',
  cpuModel: 'EPYC',
  coreSpeedMhz: 2850,
  cpuCores: 24,
  memoryMb: 131072,
  storageMb: 2000000,
  pricing: {},
  agentUrl: 'https://rack1-node4:7443',
  state: 'online',
  poweredOn: true,
  used: { cpuCores: 2, memoryMb: 2048, storageMb: 10000 },
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
};
const instance = (hostname: string, state: string) => ({
  id: `i-${hostname}`,
  mac: '02:7e:00:00:00:01',
  addresses: ['10.77.0.2', 'fd00::2'],
  webpanelUrl: 'http://10.77.0.2/panel/',
  hostname,
  owner: 'user:default/buyer',
  applianceId: 'sample.webserv.1.1.0',
  hostId: 'h1',
  size: { cpuCores: 2, memoryMb: 2048, storageMb: 10000 },
  state,
  version: 2,
  entityRef: `resource:default/${hostname}`,
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
});

function setup(
  responses: Record<string, { status: number; body: unknown }>,
  events?: EventsService,
) {
  const fetchMock = jest.fn(async (url: string) => {
    const parsed = new URL(url);
    const path = parsed.pathname.replace('/api/appliances', '');
    const r = responses[`${path}${parsed.search}`] ?? responses[path];
    return new Response(JSON.stringify(r.body), {
      status: r.status,
      headers: { 'content-type': 'application/json' },
    });
  });
  const connection: EntityProviderConnection = {
    applyMutation: jest.fn(),
    refresh: jest.fn(),
  };
  const provider = new HostingEntityProvider({
    discovery: mockServices.discovery(),
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    taskRunner: { run: jest.fn() },
    events,
    fetch: fetchMock as any,
    appBaseUrl: 'https://portal.example.net/',
  });
  return { provider, connection };
}

describe('HostingEntityProvider', () => {
  it('emits hosts and live instances with owners and dependsOn in one full mutation', async () => {
    const { provider, connection } = setup({
      '/hosts': { status: 200, body: { items: [host] } },
      '/instances': {
        status: 200,
        body: {
          items: [
            instance('web-1', 'started'),
            instance('web-2', 'error'),
            instance('web-3', 'provisioning'),
          ],
        },
      },
    });
    await provider.connect(connection);
    expect(await provider.refresh()).toEqual({ hosts: 1, instances: 1 });
    const mutation = (connection.applyMutation as jest.Mock).mock.calls[0][0];
    expect(mutation.type).toBe('full');
    const [hostEntity, instanceEntity] = mutation.entities.map(
      (e: any) => e.entity,
    );
    expect(hostEntity).toMatchObject({
      kind: 'Resource',
      metadata: { name: 'rack1-node4.host' },
      spec: {
        type: 'appliance-host',
        owner: 'group:default/tempest-providers',
      },
    });
    expect(instanceEntity).toMatchObject({
      metadata: {
        name: 'web-1',
        // Its size in words and its host; the appliance is a relation, shown by title.
        description:
          'An appliance instance of 2 cores, 2,048 MB memory, 10,000 MB storage on rack1-node4.',
        // Who else may see it: the provider of its host (the catalog policy reads this).
        annotations: {
          'tempest.dev/host-owner': 'group:default/tempest-providers',
          // Where it is: the NIC's MAC and the addresses its agent reports.
          'tempest.dev/mac': '02:7e:00:00:00:01',
          'tempest.dev/addresses': '10.77.0.2, fd00::2',
        },
        links: [
          { url: 'http://10.77.0.2/panel/', title: 'Webpanel', icon: 'web' },
          {
            url: 'https://portal.example.net/appliances/instances',
            title: 'My instances',
            icon: 'dashboard',
          },
        ],
      },
      spec: {
        type: 'appliance-instance',
        owner: 'user:default/buyer',
        dependsOn: [
          'resource:default/sample.webserv.1.1.0',
          'resource:default/rack1-node4.host',
        ],
      },
    });
    expect(mutation.entities).toHaveLength(2);
    // Links into the portal are absolute, as the catalog's validation demands.
    expect(hostEntity.metadata.links).toEqual([
      expect.objectContaining({
        url: 'https://portal.example.net/appliances/hosts',
      }),
      expect.objectContaining({
        url: expect.stringMatching(
          /^https:\/\/portal\.example\.net\/appliances\/instances\?hostId=/,
        ),
      }),
    ]);
    for (const e of mutation.entities)
      for (const l of e.entity.metadata.links)
        expect(new URL(l.url)).toBeTruthy();
  });

  it('applies nothing when a list cannot be read', async () => {
    const { provider, connection } = setup({
      '/hosts': { status: 200, body: { items: [host] } },
      '/instances': {
        status: 500,
        body: { error: { name: 'Error', message: 'down' } },
      },
    });
    await provider.connect(connection);
    await expect(provider.refresh()).rejects.toThrow();
    expect(connection.applyMutation).not.toHaveBeenCalled();
  });

  it('reads every page of instances, and applies nothing when a page fails', async () => {
    const hosts = { status: 200, body: { items: [] } };
    const paged = setup({
      '/hosts': hosts,
      '/instances?limit=500&offset=0': {
        status: 200,
        body: {
          items: [instance('p-1', 'started')],
          totalCount: 2,
          nextOffset: 1,
        },
      },
      '/instances?limit=500&offset=1': {
        status: 200,
        body: { items: [instance('p-2', 'stopped')], totalCount: 2 },
      },
    });
    await paged.provider.connect(paged.connection);
    expect(await paged.provider.refresh()).toEqual({ hosts: 0, instances: 2 });

    const broken = setup({
      '/hosts': hosts,
      '/instances?limit=500&offset=0': {
        status: 200,
        body: {
          items: [instance('p-1', 'started')],
          totalCount: 2,
          nextOffset: 1,
        },
      },
      '/instances?limit=500&offset=1': {
        status: 500,
        body: { error: { name: 'Error', message: 'down' } },
      },
    });
    await broken.provider.connect(broken.connection);
    await expect(broken.provider.refresh()).rejects.toThrow();
    expect(broken.connection.applyMutation).not.toHaveBeenCalled();
  });

  it('refreshes as soon as the appliances backend announces a changed instance', async () => {
    const events = mockServices.events();
    const responses = {
      '/hosts': { status: 200, body: { items: [host] } },
      '/instances': {
        status: 200,
        body: { items: [instance('web-1', 'provisioning')] },
      },
    };
    const { provider, connection } = setup(responses, events);
    await provider.connect(connection);
    responses['/instances'] = {
      status: 200,
      body: { items: [instance('web-1', 'started')] },
    };
    await events.publish({ topic: HOSTING_CHANGED_TOPIC, eventPayload: {} });
    for (
      let i = 0;
      i < 100 && !(connection.applyMutation as jest.Mock).mock.calls.length;
      i++
    ) {
      await new Promise(r => setTimeout(r, 10));
    }
    const mutation = (connection.applyMutation as jest.Mock).mock.calls[0][0];
    const web1 = mutation.entities.find(
      (e: any) => e.entity.metadata.name === 'web-1',
    );
    expect(web1.entity.metadata.labels['tempest.dev/instance-state']).toBe(
      'started',
    );
  });
});
