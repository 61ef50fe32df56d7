import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { AppliancesApi, appliancesApiRef } from '../../api';
import { ChannelsPage } from './ChannelsPage';
import { sampleChannel } from '../__fixtures__/appliances';

// usePermission caches decisions (SWR) for the whole file, so the non-admin view has its own file.
const failed = {
  ...sampleChannel,
  id: 'broken',
  source: 'api' as const,
  status: { result: 'failed' as const, error: 'http://x/feed.xml: HTTP 500', itemErrors: [] },
};

function api(overrides: Partial<AppliancesApi> = {}) {
  return {
    listChannels: jest.fn(async () => [sampleChannel, failed]),
    refreshChannel: jest.fn(async () => ({ result: 'ok', channel: sampleChannel })),
    deleteChannel: jest.fn(async () => {}),
    createChannel: jest.fn(async () => sampleChannel),
    ...overrides,
  } as unknown as jest.Mocked<AppliancesApi>;
}

describe('ChannelsPage for non-admins', () => {
  it('shows non-admins the status without actions', async () => {
    await renderInTestApp(<ChannelsPage />, {
      apis: [[appliancesApiRef, api()], [permissionApiRef, mockApis.permission({ authorize: AuthorizeResult.DENY })]],
    });
    expect(await screen.findByText('Tempest sample channel')).toBeInTheDocument();
    expect(screen.queryByText('Refresh')).not.toBeInTheDocument();
    expect(screen.queryByText('Subscribe a channel')).not.toBeInTheDocument();
  });
});
