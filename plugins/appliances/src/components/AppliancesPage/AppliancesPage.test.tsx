import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor } from '@testing-library/react';
import { AppliancesApiError } from '@tempest/backstage-plugin-appliances-common';
import { AppliancesApi, appliancesApiRef } from '../../api';
import { AppliancesPage } from './AppliancesPage';

function fakeApi(overrides: Partial<AppliancesApi>): AppliancesApi {
  return {
    getSummary: async () => ({ channels: 0 }),
    listChannels: async () => [],
    createChannel: async () => {
      throw new Error('not used');
    },
    ...overrides,
  } as AppliancesApi;
}

describe('AppliancesPage', () => {
  it('shows a progress bar while the backend answers, then its data', async () => {
    let answer: (v: { channels: number }) => void = () => {};
    const api = fakeApi({
      getSummary: () => new Promise(resolve => (answer = resolve)),
      listChannels: async () => [
        {
          id: 'sample',
          url: 'http://localhost:7007/feed.xml',
          owner: 'group:default/tempest-admins',
          trustedKeys: [],
          source: 'config',
          createdAt: '2026-11-23T00:00:00.000Z',
        },
      ],
    });
    await renderInTestApp(<AppliancesPage />, { apis: [[appliancesApiRef, api]] });
    expect(screen.getByTestId('progress')).toBeInTheDocument();

    answer({ channels: 1 });
    expect(await screen.findByText('sample')).toBeInTheDocument();
    expect(screen.getByText(/http:\/\/localhost:7007\/feed.xml/)).toBeInTheDocument();
    expect(screen.queryByTestId('progress')).not.toBeInTheDocument();
  });

  it('says so when no channel is subscribed', async () => {
    await renderInTestApp(<AppliancesPage />, {
      apis: [[appliancesApiRef, fakeApi({})]],
    });
    expect(await screen.findByText('No channels subscribed yet.')).toBeInTheDocument();
  });

  it('shows the backend error instead of data', async () => {
    const api = fakeApi({
      getSummary: async () => {
        throw new AppliancesApiError(503, 'appliances backend is starting');
      },
    });
    await renderInTestApp(<AppliancesPage />, { apis: [[appliancesApiRef, api]] });
    await waitFor(() =>
      expect(screen.getAllByText(/appliances backend is starting/).length).toBeGreaterThan(0),
    );
    expect(screen.queryByText('Summary')).not.toBeInTheDocument();
  });
});
