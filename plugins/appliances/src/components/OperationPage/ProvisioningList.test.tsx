import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { screen } from '@testing-library/react';
import { ProvisioningList } from './ProvisioningList';

const instance = (over: Record<string, unknown>) => ({
  id: 'i',
  hostname: 'h',
  owner: 'user:default/guest',
  applianceId: 'sample.dns.1',
  allowedActions: [],
  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
  version: 1,
  entityRef: 'resource:default/h',
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
  ...over,
});

const json = (body: unknown) =>
  new Response(JSON.stringify(body), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });

function backend(
  byState: Record<string, unknown[]>,
  operationStates: Record<string, string> = {},
) {
  return {
    fetch: jest.fn(async (url: string) => {
      const { pathname, searchParams } = new URL(url);
      const op = /\/operations\/(.+)$/.exec(pathname);
      if (op)
        return json({ id: op[1], state: operationStates[op[1]], steps: [] });
      const items = byState[searchParams.get('state') ?? ''] ?? [];
      return json({ items, totalCount: items.length });
    }),
  };
}

const render = (fetchApi: ReturnType<typeof backend>) =>
  renderInTestApp(<ProvisioningList />, {
    apis: [
      [
        discoveryApiRef,
        { getBaseUrl: async () => 'http://backend/api/appliances' },
      ],
      [fetchApiRef, fetchApi as any],
    ],
  });

describe('ProvisioningList', () => {
  it('lists provisionings under way and failed ones, each linking to its live view', async () => {
    const fetchApi = backend(
      {
        provisioning: [
          instance({
            id: 'a',
            hostname: 'dns-1',
            state: 'provisioning',
            operationId: 'op-a',
          }),
        ],
        error: [
          instance({
            id: 'b',
            hostname: 'web-2',
            state: 'error',
            operationId: 'op-b',
            error: 'start failed: no room',
          }),
          // In error after a later action: its provisioning succeeded, so it is not listed.
          instance({
            id: 'c',
            hostname: 'old-3',
            state: 'error',
            operationId: 'op-c',
            error: 'stop refused',
          }),
        ],
      },
      { 'op-b': 'failed', 'op-c': 'succeeded' },
    );
    await render(fetchApi);
    expect(await screen.findByText('dns-1')).toBeInTheDocument();
    expect(
      screen.getByText('dns-1').closest('a')?.getAttribute('href'),
    ).toMatch(/op-a$/);
    expect(
      screen.getByText('web-2').closest('a')?.getAttribute('href'),
    ).toMatch(/op-b$/);
    expect(screen.getByText('start failed: no room')).toBeInTheDocument();
    expect(screen.queryByText('old-3')).not.toBeInTheDocument();
    const asked = fetchApi.fetch.mock.calls
      .map(c => new URL(c[0]).searchParams.get('state'))
      .filter(Boolean)
      .sort();
    expect(asked).toEqual(['error', 'provisioning']);
  });

  it('says where to start when nothing is being provisioned', async () => {
    await render(backend({}));
    expect(
      await screen.findByText(/Nothing is being provisioned/),
    ).toBeInTheDocument();
  });
});
