import { PageBlueprint, createRouteRef } from '@backstage/frontend-plugin-api';
import {
  FormFieldBlueprint,
  createFormField,
  scaffolderTemplateOutputsBlueprint,
} from '@backstage/plugin-scaffolder-react/alpha';
import { RegisterHostOutputs } from './components/RegisterHostOutputs';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import ComputerIcon from '@material-ui/icons/Computer';
import DnsIcon from '@material-ui/icons/Dns';
import PlaylistAddCheckIcon from '@material-ui/icons/PlaylistAddCheck';

export const operationsRouteRef = createRouteRef();

/** /appliances/operations/:id: a provisioning or migration operation followed live. */
export const operationPage = PageBlueprint.make({
  name: 'operations',
  params: {
    path: '/appliances/operations',
    routeRef: operationsRouteRef,
    title: 'Operations',
    icon: <PlaylistAddCheckIcon fontSize="inherit" />,
    loader: () =>
      import('./components/OperationPage').then(m => <m.OperationPage />),
  },
});

/** Scaffolder field `ApplianceCostEstimate`, used by the Provision appliance template. */
export const applianceCostEstimateField = FormFieldBlueprint.make({
  name: 'appliance-cost-estimate',
  params: {
    field: () =>
      import('./components/ApplianceCostEstimate').then(m =>
        createFormField({
          name: 'ApplianceCostEstimate',
          component: m.ApplianceCostEstimate,
        }),
      ),
  },
});

/** Scaffolder field `ApplianceVariables`: the chosen appliance's declared variables, used by the Provision appliance template. */
export const applianceVariablesField = FormFieldBlueprint.make({
  name: 'appliance-variables',
  params: {
    field: () =>
      import('./components/ApplianceVariables').then(m =>
        createFormField({
          name: 'ApplianceVariables',
          component: m.ApplianceVariables,
        }),
      ),
  },
});

export const instancesRouteRef = createRouteRef();
export const hostsRouteRef = createRouteRef();

/** /appliances/instances: the user's instances with their actions. */
export const myInstancesPage = PageBlueprint.make({
  name: 'instances',
  params: {
    path: '/appliances/instances',
    routeRef: instancesRouteRef,
    title: 'My instances',
    icon: <ComputerIcon fontSize="inherit" />,
    loader: () =>
      import('./components/MyInstancesPage').then(m => <m.MyInstancesPage />),
  },
});

/** /appliances/hosts: a provider's hosts, their capacity in use and instances. */
export const hostsPage = PageBlueprint.make({
  name: 'hosts',
  params: {
    path: '/appliances/hosts',
    routeRef: hostsRouteRef,
    title: 'My hosts',
    icon: <DnsIcon fontSize="inherit" />,
    loader: () => import('./components/HostsPage').then(m => <m.HostsPage />),
  },
});

/** The instance card (state, actions, history) on appliance-instance entities. */
export const instanceEntityCard = EntityCardBlueprint.make({
  name: 'instance',
  params: {
    filter: { 'spec.type': 'appliance-instance' },
    loader: () =>
      import('./components/InstanceCard').then(m => <m.InstanceCard />),
  },
});

/** The host card (state, capacity, instances, prices) on appliance-host entities. */
export const hostEntityCard = EntityCardBlueprint.make({
  name: 'host',
  params: {
    filter: { 'spec.type': 'appliance-host' },
    loader: () => import('./components/HostCard').then(m => <m.HostCard />),
  },
});

/** Scaffolder field `InstanceActionPicker`, used by the Power instance template. */
export const instanceActionPickerField = FormFieldBlueprint.make({
  name: 'instance-action-picker',
  params: {
    field: () =>
      import('./components/InstanceActionPicker').then(m =>
        createFormField({
          name: 'InstanceActionPicker',
          component: m.InstanceActionPicker,
        }),
      ),
  },
});

/** Scaffolder field `MigrationTargetPicker`, used by the Migrate instance template. */
export const migrationTargetPickerField = FormFieldBlueprint.make({
  name: 'migration-target-picker',
  params: {
    field: () =>
      import('./components/MigrationTargetPicker').then(m =>
        createFormField({
          name: 'MigrationTargetPicker',
          component: m.MigrationTargetPicker,
        }),
      ),
  },
});

/** Scaffolder field `CatalogEntityPicker`: entities by title, used by Tempest's templates. */
export const catalogEntityPickerField = FormFieldBlueprint.make({
  name: 'catalog-entity-picker',
  params: {
    field: () =>
      import('./components/CatalogEntityPicker').then(m =>
        createFormField({
          name: 'CatalogEntityPicker',
          component: m.CatalogEntityPicker,
        }),
      ),
  },
});

/** The Register host template's outputs: the enrolment command with a copy button. */
export const registerHostOutputs = scaffolderTemplateOutputsBlueprint.make({
  name: 'register-host',
  params: {
    templateRefs: ['template:default/register-host'],
    component: RegisterHostOutputs,
  },
});
