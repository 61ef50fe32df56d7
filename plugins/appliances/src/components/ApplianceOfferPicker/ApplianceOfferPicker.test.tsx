import { fireEvent, screen, waitFor } from '@testing-library/react';
import { json, renderPage } from '../../__testUtils__/renderPage';
import { ApplianceOfferPicker } from './ApplianceOfferPicker';

const pricing = {
  speedUnitMhz: 1000,
  speedPriceMinor: 1,
  memoryUnitMb: 1024,
  memoryPriceMinor: 1,
  runningPeriodSeconds: 3600,
  storageUnitMb: 1024,
  storagePriceMinor: 1,
  storagePeriodSeconds: 3600,
};
const offer = (
  hostId: string,
  running: number,
  storage: number,
  extra: object = {},
) => ({
  hostId,
  hostName: `host-${hostId}`,
  provider: 'user:default/pat',
  state: 'online',
  coreSpeedMhz: 2000,
  pricing,
  free: { cpuCores: 8, memoryMb: 8192, storageMb: 100000 },
  fits: true,
  runningPerHourMinor: running,
  storagePerHourMinor: storage,
  perHourMinor: running + storage,
  placementChoice: false,
  ...extra,
});

const market = {
  applianceId: 'sample.webserv.1.1.0-0',
  size: { cpuCores: 1, memoryMb: 512, storageMb: 2048 },
  runningPerHourMinor: 40,
  storagePerHourMinor: 10,
  perHourMinor: 50,
  hosts: 3,
  stale: false,
  computedAt: '2026-12-02T10:00:00Z',
};

function backend(offers: object[]) {
  return async (url: string) => {
    if (url.includes('/offers?')) return json({ items: offers });
    if (url.includes('/market-prices?')) return json({ items: [market] });
    return json({ error: { message: 'unexpected' } }, 404);
  };
}

const propsFor = (
  formData: string | undefined,
  onChange: jest.Mock,
  form: object = {},
): any => ({
  formContext: {
    formData: {
      appliance: 'resource:default/sample.webserv.1.1.0-0',
      cpuCores: 2,
      memoryMb: 1024,
      storageMb: 10240,
      ...form,
    },
  },
  formData,
  onChange,
  schema: { title: 'Host' },
  uiSchema: {},
  idSchema: { $id: 'root_host' },
  rawErrors: [],
});

describe('ApplianceOfferPicker', () => {
  it('lists the hosts that fit by price with running, storage and total per hour, picks Tempest’s choice, and shows the market average beside it', async () => {
    const onChange = jest.fn();
    const { fetchApi } = await renderPage(
      <ApplianceOfferPicker {...propsFor(undefined, onChange)} />,
      backend([
        offer('a', 30, 5),
        offer('b', 42, 8, { placementChoice: true }),
        offer('c', 10, 1, { fits: false }),
      ]),
    );
    await screen.findByRole('table', { name: 'Hosts that fit' });
    // The host that does not fit is not offered.
    expect(screen.queryByText('host-c')).not.toBeInTheDocument();
    const rows = screen.getAllByRole('row').slice(1);
    expect(rows.map(r => r.textContent)).toEqual([
      'host-a pat€0.30€0.05€0.35',
      "host-b Tempest's choicepat€0.42€0.08€0.50",
    ]);
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith('b'));
    expect(screen.getByTestId('market-average').textContent).toMatch(
      /standard configuration \(1 core, 512 MB memory, 2,048 MB storage\): €0.50 an hour \(running €0.40, storage €0.10\), over 3 hosts/,
    );
    expect(fetchApi.fetch.mock.calls.map(c => c[0])).toContain(
      'http://backend/api/appliances/offers?cpuCores=2&memoryMb=1024&storageMb=10240',
    );
    fireEvent.click(screen.getByRole('radio', { name: 'host-a' }));
    expect(onChange).toHaveBeenLastCalledWith('a');
    expect(document.body.textContent).not.toMatch(/minor/i);
  });

  it('says which host is chosen and its price beside the market average, and leaves out hosts over the price limit', async () => {
    const onChange = jest.fn();
    await renderPage(
      <ApplianceOfferPicker
        {...propsFor('a', onChange, { maxPricePerHourMinor: 40 })}
      />,
      backend([
        offer('a', 30, 5),
        offer('b', 42, 8, { placementChoice: true }),
      ]),
    );
    expect((await screen.findByTestId('chosen-price')).textContent).toBe(
      'Chosen: host-a at €0.35 an hour (market average €0.50 an hour for the standard configuration).',
    );
    expect(screen.queryByText('host-b')).not.toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('says when no host has room, and clears the choice', async () => {
    const onChange = jest.fn();
    await renderPage(
      <ApplianceOfferPicker {...propsFor('a', onChange)} />,
      backend([offer('a', 30, 5, { fits: false })]),
    );
    expect(
      await screen.findByText(/No host has room for 2 cores/),
    ).toBeInTheDocument();
    await waitFor(() => expect(onChange).toHaveBeenLastCalledWith(undefined));
  });
});
