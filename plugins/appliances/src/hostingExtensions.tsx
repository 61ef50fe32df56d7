import { PageBlueprint, createRouteRef } from '@backstage/frontend-plugin-api';
import { FormFieldBlueprint, createFormField } from '@backstage/plugin-scaffolder-react/alpha';

export const operationsRouteRef = createRouteRef();

/** /appliances/operations/:id: a provisioning operation followed live. */
export const operationPage = PageBlueprint.make({
  name: 'operations',
  params: {
    path: '/appliances/operations',
    routeRef: operationsRouteRef,
    title: 'Provisioning',
    loader: () => import('./components/OperationPage').then(m => <m.OperationPage />),
  },
});

/** Scaffolder field `ApplianceCostEstimate`, used by the Provision appliance template. */
export const applianceCostEstimateField = FormFieldBlueprint.make({
  name: 'appliance-cost-estimate',
  params: {
    field: () =>
      import('./components/ApplianceCostEstimate').then(m =>
        createFormField({ name: 'ApplianceCostEstimate', component: m.ApplianceCostEstimate }),
      ),
  },
});
