import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { screen } from '@testing-library/react';
import { uptimeOf } from '../../hosting/hostingApi';
import { MyInstancesPage, catalogPathOf } from './MyInstancesPage';

describe('MyInstancesPage', () => {
  it('asks the backend for a page and shows state, host, appliance, uptime and the allowed actions', async () => {
    const fetchApi = {
      fetch: jest.fn(
        async (_url: string) =>
          new Response(
            JSON.stringify({
              items: [
                {
                  id: 'i1',
                  hostname: 'web-1',
                  owner: 'group:default/team-a',
                  applianceId: 'sample.web.1',
                  hostName: 'rack1',
                  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
                  state: 'started',
                  version: 3,
                  allowedActions: ['stop', 'suspend'],
                  entityRef: 'resource:default/web-1',
                  startedAt: new Date(
                    Date.now() - 2 * 3600_000 - 5 * 60_000,
                  ).toISOString(),
                  createdAt: '2026-11-24T10:00:00Z',
                  updatedAt: '2026-11-24T10:00:00Z',
                },
              ],
              totalCount: 41,
              nextOffset: 20,
            }),
            { status: 200, headers: { 'content-type': 'application/json' } },
          ),
      ),
    };
    await renderInTestApp(<MyInstancesPage />, {
      apis: [
        [
          discoveryApiRef,
          { getBaseUrl: async () => 'http://backend/api/appliances' },
        ],
        [fetchApiRef, fetchApi as any],
      ],
    });
    expect(await screen.findByText('web-1')).toBeInTheDocument();
    expect(fetchApi.fetch.mock.calls[0][0]).toBe(
      'http://backend/api/appliances/instances?limit=20&offset=0',
    );
    expect(screen.getByText('rack1')).toBeInTheDocument();
    expect(screen.getByText('sample.web.1')).toBeInTheDocument();
    expect(screen.getByText('2h 5m')).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Stop web-1' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Start web-1' }),
    ).not.toBeInTheDocument();
  });

  it('links to the catalog and computes uptime only while started', () => {
    expect(catalogPathOf('resource:default/web-1')).toBe(
      '/catalog/default/resource/web-1',
    );
    expect(
      uptimeOf({ state: 'stopped', startedAt: '2026-11-24T10:00:00Z' }),
    ).toBe('—');
    expect(
      uptimeOf(
        { state: 'started', startedAt: '2026-11-24T10:00:00Z' },
        Date.parse('2026-11-26T13:00:00Z'),
      ),
    ).toBe('2d 3h');
  });
});
