import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { BASE, json, renderPage } from '../../__testUtils__/renderPage';
import { HostsPage, heartbeatAgo } from './HostsPage';

const host = {
  id: 'h1',
  name: 'rack1',
  owner: 'group:default/tempest-providers',
  cpuModel: 'X',
  coreSpeedMhz: 2000,
  cpuCores: 16,
  memoryMb: 65536,
  storageMb: 1000000,
  pricing: {
    speedUnitMhz: 1000,
    speedPriceMinor: 2,
    memoryUnitMb: 1024,
    memoryPriceMinor: 3,
    runningPeriodSeconds: 3600,
    storageUnitMb: 10240,
    storagePriceMinor: 5,
    storagePeriodSeconds: 86400,
  },
  state: 'online',
  poweredOn: true,
  power: { state: 'on', watts: 180, readAt: new Date().toISOString() },
  bmc: { address: '10.0.0.9', hasCredentials: true },
  used: { cpuCores: 6, memoryMb: 8192, storageMb: 40960 },
  agentUrl: 'https://rack1:7443',
  enrolledAt: '2026-11-24T09:01:00Z',
  lastHeartbeatAt: '2026-11-24T10:00:00Z',
  createdAt: '2026-11-24T09:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
};

function backend(overrides: Record<string, unknown> = {}) {
  return async (url: string, init?: RequestInit) => {
    if (url === `${BASE}/hosts`)
      return json({ items: [{ ...host, ...overrides }] });
    if (url.startsWith(`${BASE}/instances?`))
      return json({ items: [], totalCount: 3 });
    if (url === `${BASE}/hosts/h1/pricing` && init?.method === 'PUT')
      return json({ ...host, pricing: JSON.parse(String(init.body)) });
    if (url === `${BASE}/hosts/h1/maintenance` && init?.method === 'PUT')
      return json({ ...host, state: 'maintenance' });
    if (url === `${BASE}/hosts/h1/power` && init?.method === 'POST')
      return json({
        ...host,
        power: { state: JSON.parse(String(init.body)).action },
      });
    if (url.startsWith(`${BASE}/hosts/h1/power?`))
      return json({
        power: host.power,
        readings: [
          { watts: 180, readAt: '2026-11-24T10:00:00Z' },
          { watts: 0, readAt: '2026-11-24T10:05:00Z' },
        ],
        decisions: [
          {
            id: 1,
            hostId: 'h1',
            hostName: 'rack1',
            decidedAt: '2026-11-24T10:05:00Z',
            actor: 'power-loop',
            action: 'off',
            reason: 'Empty for 30 min (grace 30 min)',
            outcome: 'done',
            watts: 180,
          },
        ],
        energySavedKwh: 1.25,
      });
    if (url === `${BASE}/hosts/h1/enrolment-token` && init?.method === 'POST')
      return json({
        token: 't'.repeat(32),
        expiresAt: '2026-11-25T10:00:00Z',
        enrolUrl: 'http://backend/api/appliances/agent/enroll',
        command: `tempest-agent enroll --url http://backend/api/appliances/agent/enroll --token ${'t'.repeat(32)}`,
      });
    return json({ error: { name: 'NotFoundError', message: url } }, 404);
  };
}

describe('HostsPage', () => {
  it('shows each host with its state, heartbeat, capacity, instances and prices in the currency', async () => {
    const { fetchApi } = await renderPage(<HostsPage />, backend());
    expect(
      await screen.findByRole('link', { name: 'rack1' }),
    ).toBeInTheDocument();
    expect(screen.getByText('online')).toBeInTheDocument();
    expect(screen.getByText('Cores: 6 of 16')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: '3' })).toHaveAttribute(
      'href',
      '/appliances/instances?hostId=h1',
    );
    expect(
      screen.getByText('€0.02 per hour for each 1,000 MHz of CPU'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('€0.05 per day for each 10,240 MB of storage'),
    ).toBeInTheDocument();
    expect(fetchApi.fetch).toHaveBeenCalledWith(
      `${BASE}/instances?hostId=h1&limit=1`,
      undefined,
    );
    // An enrolled host needs no new token.
    expect(
      screen.queryByRole('button', { name: 'New enrolment token for rack1' }),
    ).not.toBeInTheDocument();
  });

  it('shows power and Watts, the energy saved and the power decisions', async () => {
    await renderPage(<HostsPage />, backend());
    expect(await screen.findByText('power on')).toBeInTheDocument();
    expect(screen.getByText(/^180 W, read /)).toBeInTheDocument();
    expect(
      await screen.findByText(
        'Estimated energy saved by consolidation: 1.25 kWh',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/off by power-loop: Empty for 30 min \(grace 30 min\)/),
    ).toBeInTheDocument();
  });

  it('says a host without a BMC is not powered by Tempest instead of waiting for a reading', async () => {
    await renderPage(
      <HostsPage />,
      backend({ bmc: undefined, power: { state: 'unknown' } }),
    );
    expect(await screen.findByText('no BMC')).toBeInTheDocument();
    expect(
      screen.getByText('Tempest does not power this host'),
    ).toBeInTheDocument();
    expect(screen.queryByText('no reading yet')).not.toBeInTheDocument();
  });

  it('powers a host off after asking, forcing it when instances are on it', async () => {
    const { fetchApi } = await renderPage(<HostsPage />, backend());
    fireEvent.click(
      await screen.findByRole('button', { name: 'Power off rack1' }),
    );
    const dialog = await screen.findByRole('dialog');
    expect(dialog).toHaveTextContent(
      'rack1 holds 3 instances: running ones are stopped cleanly first, and only if you force it.',
    );
    fireEvent.click(
      within(dialog).getByLabelText('Stop its instances and go ahead'),
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Power off' }));
    await waitFor(() =>
      expect(
        fetchApi.fetch.mock.calls.find(
          ([url, init]) => url.endsWith('/power') && init?.method === 'POST',
        )?.[1]?.body,
      ).toBe(JSON.stringify({ action: 'off', force: true })),
    );
  });

  it('edits prices as amounts of money and sends minor units', async () => {
    const { fetchApi } = await renderPage(<HostsPage />, backend());
    fireEvent.click(
      await screen.findByRole('button', { name: 'Edit the prices of rack1' }),
    );
    const dialog = await screen.findByRole('dialog');
    const price = within(dialog).getByLabelText('Price per CPU unit');
    expect(price).toHaveValue('0.02');
    fireEvent.change(price, { target: { value: '0.1' } });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Save prices' }),
    );
    await waitFor(() =>
      expect(
        fetchApi.fetch.mock.calls.find(([url]) => url.endsWith('/pricing')),
      ).toBeDefined(),
    );
    const [, init] = fetchApi.fetch.mock.calls.find(([url]) =>
      url.endsWith('/pricing'),
    )!;
    expect(JSON.parse(String(init!.body))).toEqual({
      ...host.pricing,
      speedPriceMinor: 10,
    });
  });

  it('puts a host into maintenance', async () => {
    const { fetchApi } = await renderPage(<HostsPage />, backend());
    fireEvent.click(
      await screen.findByRole('button', { name: 'Start maintenance of rack1' }),
    );
    await waitFor(() =>
      expect(
        fetchApi.fetch.mock.calls.find(([url]) =>
          url.endsWith('/maintenance'),
        )?.[1]?.body,
      ).toBe(JSON.stringify({ maintenance: true })),
    );
  });

  it('issues a new enrolment token for a host that has not enrolled and shows the command to copy', async () => {
    await renderPage(
      <HostsPage />,
      backend({ enrolledAt: undefined, state: 'pending' }),
    );
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'New enrolment token for rack1',
      }),
    );
    expect(
      await screen.findByText(/tempest-agent enroll --url/),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Copy enrolment command' }),
    ).toBeInTheDocument();
  });

  it('says how long ago the last heartbeat came', () => {
    expect(
      heartbeatAgo('2026-11-24T10:00:00Z', Date.parse('2026-11-24T10:00:12Z')),
    ).toBe('12s ago');
    expect(heartbeatAgo(undefined)).toBe('no heartbeat yet');
  });
});
