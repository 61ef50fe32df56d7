import { BackendFeature } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { startAppliancesTestBackend } from '../../__testUtils__/startAppliancesTestBackend';
import { AccountStore } from '../AccountStore';

export const ANN = 'user:default/ann';
export const BOB = 'user:default/bob';

/**
 * Two backends on one database: a buyer's view (no admin permission, no
 * top-ups, no reversals) and an admin's; and the accounts of Ann and Bob.
 */
export async function startBillingBackends(
  knex: Knex,
  auditor: { factory: BackendFeature },
) {
  const { server: buyerServer } = await startAppliancesTestBackend({
    knex,
    dataDirPrefix: 'tempest-billing-',
    denied: [
      'appliances.admin',
      'appliances.account.topup',
      'appliances.account.reverse',
    ],
    features: [auditor.factory],
  });
  const { server: adminServer } = await startAppliancesTestBackend({
    knex,
    dataDirPrefix: 'tempest-billing-',
    features: [auditor.factory],
  });
  const accounts = new AccountStore(knex, 'EUR');
  const [ann, bob] = (await accounts.ensureMany([ANN, BOB])).map(a => a.id);
  return { buyerServer, adminServer, ann, bob };
}
