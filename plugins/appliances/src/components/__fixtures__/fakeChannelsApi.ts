import { AppliancesApi } from '../../api';
import { sampleChannel } from './appliances';

/** A channel whose last fetch failed, beside the sample channel. */
export const failedChannel = {
  ...sampleChannel,
  id: 'broken',
  source: 'api' as const,
  status: {
    result: 'failed' as const,
    error: 'http://x/feed.xml: HTTP 500',
    itemErrors: [],
  },
};

/** The channel part of the appliances API, answering with the sample and the failed channel. */
export function fakeChannelsApi(overrides: Partial<AppliancesApi> = {}) {
  return {
    listChannels: jest.fn(async () => [sampleChannel, failedChannel]),
    refreshChannel: jest.fn(async () => ({
      result: 'ok',
      channel: sampleChannel,
    })),
    deleteChannel: jest.fn(async () => {}),
    createChannel: jest.fn(async () => sampleChannel),
    ...overrides,
  } as unknown as jest.Mocked<AppliancesApi>;
}
