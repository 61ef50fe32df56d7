import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { AppliancesClient } from '@tempest/backstage-plugin-appliances-common';
import StorageIcon from '@material-ui/icons/Storage';
import { appliancesApiRef } from './api';
import { rootRouteRef } from './routes';
import {
  applianceCostEstimateField,
  applianceVariablesField,
  catalogEntityPickerField,
  hostsPage,
  registerHostOutputs,
  instanceActionPickerField,
  instanceEntityCard,
  migrationTargetPickerField,
  hostEntityCard,
  myInstancesPage,
  operationPage,
} from './hostingExtensions';
import { applianceEntityCard, channelsPage } from './applianceExtensions';
import {
  applianceOfferPickerField,
  costEntityCard,
  costsPage,
} from './billingExtensions';

export const appliancesApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: appliancesApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new AppliancesClient({ discoveryApi, fetchApi }),
    }),
});

export const appliancesPage = PageBlueprint.make({
  params: {
    path: '/appliances',
    routeRef: rootRouteRef,
    title: 'Appliances',
    icon: <StorageIcon fontSize="inherit" />,
    loader: () =>
      import('./components/AppliancesPage').then(m => <m.AppliancesPage />),
  },
});

/** The Tempest appliances frontend plugin. */
export const appliancesPlugin = createFrontendPlugin({
  pluginId: 'appliances',
  title: 'Appliances',
  icon: <StorageIcon fontSize="inherit" />,
  routes: { root: rootRouteRef },
  extensions: [
    appliancesApi,
    appliancesPage,
    channelsPage,
    applianceEntityCard,
    operationPage,
    applianceCostEstimateField,
    applianceVariablesField,
    myInstancesPage,
    hostsPage,
    instanceEntityCard,
    hostEntityCard,
    instanceActionPickerField,
    migrationTargetPickerField,
    costsPage,
    costEntityCard,
    applianceOfferPickerField,
    catalogEntityPickerField,
    registerHostOutputs,
  ],
});
