import { screen } from '@testing-library/react';
import { uptimeOf } from '../../hosting/hostingApi';
import { BASE, json, renderPage } from '../../__testUtils__/renderPage';
import { MyInstancesPage, catalogPathOf } from './MyInstancesPage';

describe('MyInstancesPage', () => {
  it('asks the backend for a page and links the instance, its appliance and its host', async () => {
    const { fetchApi } = await renderPage(<MyInstancesPage />, async () =>
      json({
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
            mac: '02:7e:00:00:00:01',
            addresses: ['10.77.0.2'],
            webpanelUrl: 'http://10.77.0.2/panel/',
            startedAt: new Date(
              Date.now() - 2 * 3600_000 - 5 * 60_000,
            ).toISOString(),
            createdAt: '2026-11-24T10:00:00Z',
            updatedAt: '2026-11-24T10:00:00Z',
          },
          {
            id: 'i2',
            hostname: 'web-2',
            owner: 'group:default/team-a',
            applianceId: 'sample.web.1',
            size: { cpuCores: 2, memoryMb: 512, storageMb: 1024 },
            state: 'provisioning',
            version: 1,
            allowedActions: [],
            operationId: 'op-2',
            entityRef: 'resource:default/web-2',
            createdAt: '2026-11-24T10:00:00Z',
            updatedAt: '2026-11-24T10:00:00Z',
          },
        ],
        totalCount: 41,
        nextOffset: 20,
      }),
    );
    expect(await screen.findByText('web-1')).toBeInTheDocument();
    expect(fetchApi.fetch.mock.calls[0][0]).toBe(
      `${BASE}/instances?limit=20&offset=0`,
    );
    expect(screen.getByRole('link', { name: 'web-1' })).toHaveAttribute(
      'href',
      '/catalog/default/resource/web-1',
    );
    // Not in the catalog while it is being provisioned: its provisioning instead.
    expect(screen.getByRole('link', { name: 'web-2' })).toHaveAttribute(
      'href',
      '/appliances/operations/op-2',
    );
    expect(screen.getByRole('link', { name: 'rack1' })).toHaveAttribute(
      'href',
      '/catalog/default/resource/rack1.host',
    );
    expect(
      screen.getAllByRole('link', { name: 'sample.web.1' })[0],
    ).toHaveAttribute('href', '/catalog/default/resource/sample.web.1');
    expect(screen.getByText('2h 5m')).toBeInTheDocument();
    // Where it is: its address, and its webpanel there.
    expect(screen.getByText('10.77.0.2')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /^Webpanel/ })).toHaveAttribute(
      'href',
      'http://10.77.0.2/panel/',
    );
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
