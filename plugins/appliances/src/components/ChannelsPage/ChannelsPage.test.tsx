import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { appliancesApiRef } from '../../api';
import { ChannelsPage } from './ChannelsPage';
import { fakeChannelsApi } from '../__fixtures__/fakeChannelsApi';

describe('ChannelsPage', () => {
  it('shows fetch status and per-item errors, and lets admins refresh and remove', async () => {
    const fake = fakeChannelsApi();
    await renderInTestApp(<ChannelsPage />, {
      apis: [
        [appliancesApiRef, fake],
        [
          permissionApiRef,
          mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
        ],
      ],
    });
    expect(
      await screen.findByText('Tempest sample channel'),
    ).toBeInTheDocument();
    expect(screen.getByTestId('result-sample')).toHaveTextContent('ok');
    expect(screen.getByTestId('result-broken')).toHaveTextContent('failed');
    expect(screen.getByText('http://x/feed.xml: HTTP 500')).toBeInTheDocument();

    fireEvent.click(screen.getAllByTitle('Item errors')[0]);
    expect(
      await screen.findByText('expected a whole number of CPUs, got "many"'),
    ).toBeInTheDocument();

    fireEvent.click(screen.getAllByText('Refresh')[0]);
    await waitFor(() =>
      expect(fake.refreshChannel).toHaveBeenCalledWith('sample', {
        force: true,
      }),
    );
    // Config channels are removed in app-config, so only the API channel offers Remove.
    expect(screen.getAllByText('Remove')).toHaveLength(1);
    fireEvent.click(screen.getByText('Remove'));
    await waitFor(() =>
      expect(fake.deleteChannel).toHaveBeenCalledWith('broken'),
    );
    expect(screen.getByText('Subscribe a channel')).toBeInTheDocument();
  });
});
