import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { screen } from '@testing-library/react';
import { HostsPage } from './HostsPage';

describe('HostsPage', () => {
  it('shows each host with its state, capacity in use and instance count from the backend', async () => {
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    const fetchApi = {
      fetch: jest.fn(async (url: string) =>
        url.endsWith('/hosts')
          ? json({
              items: [
                {
                  id: 'h1',
                  name: 'rack1',
                  owner: 'group:default/tempest-providers',
                  cpuModel: 'X',
                  coreSpeedMhz: 2000,
                  cpuCores: 16,
                  memoryMb: 65536,
                  storageMb: 1000000,
                  state: 'online',
                  poweredOn: true,
                  used: { cpuCores: 6, memoryMb: 8192, storageMb: 40960 },
                  agentUrl: 'https://rack1:7443',
                  lastHeartbeatAt: '2026-11-24T10:00:00Z',
                  createdAt: '2026-11-24T09:00:00Z',
                  updatedAt: '2026-11-24T10:00:00Z',
                },
              ],
            })
          : json({ items: [], totalCount: 3 }),
      ),
    };
    await renderInTestApp(<HostsPage />, {
      apis: [
        [
          discoveryApiRef,
          { getBaseUrl: async () => 'http://backend/api/appliances' },
        ],
        [fetchApiRef, fetchApi as any],
      ],
    });
    expect(await screen.findByText('rack1')).toBeInTheDocument();
    expect(screen.getByText('online')).toBeInTheDocument();
    expect(screen.getByText('6 / 16 cores')).toBeInTheDocument();
    expect(screen.getByText('3')).toBeInTheDocument();
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      'http://backend/api/appliances/instances?hostId=h1&limit=1',
      undefined,
    );
  });
});
