import { Knex } from 'knex';
import { startAppliancesTestBackend } from './startAppliancesTestBackend';

/** The backend the host and provisioning route tests call: a buyer's permissions, without admin. */
export async function startHostingTestBackend(knex: Knex) {
  const { server, dataDir } = await startAppliancesTestBackend({
    knex,
    dataDirPrefix: 'tempest-backend-',
    denied: ['appliances.admin'],
  });
  return { server, knex, dataDir };
}
