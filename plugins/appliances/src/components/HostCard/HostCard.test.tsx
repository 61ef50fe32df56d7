import { renderInTestApp } from '@backstage/frontend-test-utils';
import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { HostCard } from './HostCard';

const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'rack1.host',
    annotations: { 'tempest.dev/host-id': 'h1' },
  },
  spec: { type: 'appliance-host', owner: 'group:default/providers' },
};

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

const host = {
  id: 'h1',
  name: 'rack1',
  owner: 'group:default/providers',
  state: 'online',
  cpuModel: 'EPYC 7313',
  cpuCores: 16,
  coreSpeedMhz: 3000,
  memoryMb: 65536,
  storageMb: 1000000,
  used: { cpuCores: 4, memoryMb: 8192, storageMb: 20480 },
  lastHeartbeatAt: new Date(Date.now() - 5000).toISOString(),
  pricing: {
    speedPriceMinor: 2,
    speedUnitMhz: 1000,
    memoryPriceMinor: 1,
    memoryUnitMb: 1024,
    storagePriceMinor: 3,
    storageUnitMb: 10240,
    runningPeriodSeconds: 3600,
    storagePeriodSeconds: 86400,
  },
};

async function renderCard(fetch: (url: string) => Promise<Response>) {
  await renderInTestApp(
    <EntityProvider entity={entity}>
      <HostCard />
    </EntityProvider>,
    {
      apis: [
        [
          discoveryApiRef,
          { getBaseUrl: async () => 'http://backend/api/appliances' },
        ],
        [fetchApiRef, { fetch: jest.fn(fetch) } as any],
      ],
    },
  );
}

describe('HostCard', () => {
  it('shows the host state, capacity in use, its instances and its prices in money', async () => {
    await renderCard(async url =>
      url.includes('/instances?')
        ? json({ items: [], totalCount: 3 })
        : json(host),
    );
    expect(await screen.findByText('Host rack1')).toBeInTheDocument();
    expect(screen.getByText('online')).toBeInTheDocument();
    expect(screen.getByText(/ago$/)).toBeInTheDocument();
    expect(screen.getByText('16 × EPYC 7313 at 3,000 MHz')).toBeInTheDocument();
    expect(screen.getByText('Cores: 4 of 16')).toBeInTheDocument();
    expect(screen.getByText('Memory: 8,192 of 65,536 MB')).toBeInTheDocument();
    expect(screen.getByText('3').closest('a')?.getAttribute('href')).toBe(
      '/appliances/instances?hostId=h1',
    );
    expect(
      screen.getByText('€0.02 per hour for each 1,000 MHz of CPU'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('€0.03 per day for each 10,240 MB of storage'),
    ).toBeInTheDocument();
  });

  it('says why when the backend refuses, never a stack', async () => {
    await renderCard(async () =>
      json(
        {
          error: {
            name: 'NotFoundError',
            message: "No host 'h1'",
            stack: 'NotFoundError: at /srv/x.js:1',
          },
        },
        404,
      ),
    );
    expect(await screen.findByText(/No host 'h1'/)).toBeInTheDocument();
    expect(screen.queryByText(/\/srv\/x\.js/)).not.toBeInTheDocument();
  });
});
