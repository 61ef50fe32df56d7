import { PageBlueprint, createRouteRef } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import RssFeedIcon from '@material-ui/icons/RssFeed';

export const channelsRouteRef = createRouteRef();

/** /appliances/channels: channels with fetch status and per-item errors (managed by admins). */
export const channelsPage = PageBlueprint.make({
  name: 'channels',
  params: {
    path: '/appliances/channels',
    routeRef: channelsRouteRef,
    title: 'Channels',
    icon: <RssFeedIcon fontSize="inherit" />,
    loader: () =>
      import('./components/ChannelsPage').then(m => <m.ChannelsPage />),
  },
});

/** The appliance card on virtual-appliance entities. */
export const applianceEntityCard = EntityCardBlueprint.make({
  name: 'appliance',
  params: {
    filter: { 'spec.type': 'virtual-appliance' },
    loader: () =>
      import('./components/ApplianceCard').then(m => <m.ApplianceCard />),
  },
});
