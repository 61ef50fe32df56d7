import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';
import { json, renderPage } from '../../__testUtils__/renderPage';
import type { Instance } from '../../hosting/hostingApi';
import { InstanceActionButtons } from './InstanceActionButtons';

const instance: Instance = {
  id: 'i1',
  hostname: 'web-1',
  owner: 'user:default/ann',
  applianceId: 'sample.web.1',
  hostId: 'h1',
  hostName: 'sim-host-1',
  size: { cpuCores: 1, memoryMb: 512, storageMb: 1024 },
  state: 'stopped',
  version: 6,
  allowedActions: ['start', 'delete', 'migrate'],
  price: {
    runningPriceMinor: 10,
    runningPeriodSeconds: 3600,
    storagePriceMinor: 4,
    storagePeriodSeconds: 3600,
    pricePerHourMinor: 14,
  },
  entityRef: 'resource:default/web-1',
  addresses: [],
  createdAt: '2026-11-24T10:00:00Z',
  updatedAt: '2026-11-24T10:00:00Z',
};

const targets = {
  summary: 'Chose sim-host-3: best fit of 2 fitting host(s)',
  items: [
    {
      hostId: 'h2',
      hostName: 'sim-host-2',
      fits: true,
      recommended: false,
      detail: 'sim-host-2 has room',
    },
    {
      hostId: 'h3',
      hostName: 'sim-host-3',
      fits: true,
      recommended: true,
      detail: 'sim-host-3 has room',
    },
    {
      hostId: 'h4',
      hostName: 'sim-host-4',
      fits: false,
      recommended: false,
      detail: 'sim-host-4 needs 512 MB more memory',
    },
  ],
};

/** The buttons at `/`, and a stand-in operation page to land on. */
async function render(
  backend: (url: string, init?: RequestInit) => Promise<Response>,
  options: { currency?: string } = {},
) {
  const onChanged = jest.fn();
  const result = await renderPage(
    <Routes>
      <Route
        path="/"
        element={
          <InstanceActionButtons instance={instance} onChanged={onChanged} />
        }
      />
      <Route
        path="/appliances/operations/:id"
        element={<div>operation page</div>}
      />
    </Routes>,
    backend,
    options,
  );
  return { ...result, onChanged };
}

const posted = (fetch: jest.Mock) =>
  fetch.mock.calls
    .filter(([, init]) => init?.method === 'POST')
    .map(([url, init]) => ({ url, body: JSON.parse(String(init!.body)) }));

describe('Migrate', () => {
  it('lists the hosts, picks Tempest’s choice, shows the kept price, moves there and opens the operation', async () => {
    const { fetchApi } = await render(async (url, init) => {
      if (url.endsWith('/instances/i1/migration-targets')) return json(targets);
      if (init?.method === 'POST')
        return json({
          instance: { ...instance, state: 'migrating', version: 7 },
          operationId: 'op9',
        });
      return json({ error: { message: 'unexpected' } }, 404);
    });
    fireEvent.click(screen.getByRole('button', { name: 'Migrate web-1' }));
    const recommended = await screen.findByRole('radio', {
      name: /sim-host-3 \(Tempest's choice\)/,
    });
    expect(recommended).toBeChecked();
    expect(screen.getByRole('radio', { name: /sim-host-2/ })).not.toBeChecked();
    // A host without room is shown with the reason and cannot be picked.
    expect(screen.getByRole('radio', { name: /sim-host-4/ })).toBeDisabled();
    expect(
      screen.getByText('sim-host-4 needs 512 MB more memory'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'web-1 keeps its price: €0.14 per hour, locked when it was placed.',
      ),
    ).toBeInTheDocument();
    expect(posted(fetchApi.fetch)).toEqual([]);

    fireEvent.click(screen.getByRole('radio', { name: /sim-host-2/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Move web-1' }));
    expect(await screen.findByText('operation page')).toBeInTheDocument();
    expect(posted(fetchApi.fetch)).toEqual([
      {
        url: 'http://backend/api/appliances/instances/i1/actions',
        body: { action: 'migrate', expectedVersion: 6, hostId: 'h2' },
      },
    ]);
  });

  it('writes the kept price in the configured currency', async () => {
    await render(async () => json(targets), { currency: 'USD' });
    fireEvent.click(screen.getByRole('button', { name: 'Migrate web-1' }));
    expect(
      await screen.findByText(/keeps its price: \$0\.14 per hour/),
    ).toBeInTheDocument();
  });

  it('says why nowhere fits and offers no move', async () => {
    await render(async () =>
      json({
        summary: 'No host fits: 1 refused',
        items: [targets.items[2]],
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Migrate web-1' }));
    expect(
      await screen.findByText(
        'Nowhere to move web-1 now: No host fits: 1 refused',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Move web-1' })).toBeDisabled();
  });

  it('shows a refusal as a sentence, stays open and reloads the instance', async () => {
    const { onChanged } = await render(async (_url, init) => {
      if (init?.method === 'POST')
        return json(
          {
            error: {
              name: 'ConflictError',
              message:
                'Cannot move web-1: sim-host-3 filled up, no other host has room',
              stack: 'ConflictError: at /work/x.ts:1:1',
            },
            reason: 'no-destination',
            currentState: 'stopped',
            currentVersion: 6,
            allowedActions: ['start', 'delete', 'migrate'],
          },
          409,
        );
      return json(targets);
    });
    fireEvent.click(screen.getByRole('button', { name: 'Migrate web-1' }));
    await screen.findByRole('radio', { name: /sim-host-3/ });
    fireEvent.click(screen.getByRole('button', { name: 'Move web-1' }));
    expect(
      await screen.findByText(
        'Cannot move web-1: sim-host-3 filled up, no other host has room.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/x\.ts/)).not.toBeInTheDocument();
    expect(screen.queryByText('operation page')).not.toBeInTheDocument();
    expect(onChanged).toHaveBeenCalledWith();
  });

  it('says so when the hosts cannot be read', async () => {
    await render(async () =>
      json(
        { error: { name: 'NotFoundError', message: 'No instance i1' } },
        404,
      ),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Migrate web-1' }));
    await waitFor(() =>
      expect(screen.getByRole('alert')).toHaveTextContent('No instance i1.'),
    );
  });
});
