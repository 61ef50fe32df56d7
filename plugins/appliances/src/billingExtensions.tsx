import { PageBlueprint, createRouteRef } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  FormFieldBlueprint,
  createFormField,
} from '@backstage/plugin-scaffolder-react/alpha';
import AccountBalanceWalletIcon from '@material-ui/icons/AccountBalanceWallet';

export const costsRouteRef = createRouteRef();

/** /appliances/costs: balances, spend, cost or income per instance, the ledger. */
export const costsPage = PageBlueprint.make({
  name: 'costs',
  params: {
    path: '/appliances/costs',
    routeRef: costsRouteRef,
    title: 'Costs',
    icon: <AccountBalanceWalletIcon fontSize="inherit" />,
    loader: () => import('./components/CostsPage').then(m => <m.CostsPage />),
  },
});

/** The cost card on instance, group and user entity pages. */
export const costEntityCard = EntityCardBlueprint.make({
  name: 'costs',
  params: {
    filter: {
      $any: [
        { kind: 'group' },
        { kind: 'user' },
        { 'spec.type': 'appliance-instance' },
      ],
    },
    loader: () => import('./components/CostCard').then(m => <m.CostCard />),
  },
});

/** Scaffolder field `ApplianceOfferPicker`: the hosts that fit, by price, beside the market average. */
export const applianceOfferPickerField = FormFieldBlueprint.make({
  name: 'appliance-offer-picker',
  params: {
    field: () =>
      import('./components/ApplianceOfferPicker').then(m =>
        createFormField({
          name: 'ApplianceOfferPicker',
          component: m.ApplianceOfferPicker,
        }),
      ),
  },
});
