import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { appliancesApiRef } from '../../api';
import { ChannelsPage } from './ChannelsPage';
import { fakeChannelsApi } from '../__fixtures__/fakeChannelsApi';

// usePermission caches decisions (SWR) for the whole file, so the non-admin view has its own file.

describe('ChannelsPage for non-admins', () => {
  it('shows non-admins the status without actions', async () => {
    await renderInTestApp(<ChannelsPage />, {
      apis: [
        [appliancesApiRef, fakeChannelsApi()],
        [
          permissionApiRef,
          mockApis.permission({ authorize: AuthorizeResult.DENY }),
        ],
      ],
    });
    expect(
      await screen.findByText('Tempest sample channel'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Refresh')).not.toBeInTheDocument();
    expect(screen.queryByText('Subscribe a channel')).not.toBeInTheDocument();
  });
});
