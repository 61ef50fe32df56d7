import { BackendFeature } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { Knex } from 'knex';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { appliancesPlugin } from '../plugin';
import { instanceConditions } from '../permissions/instanceRules';

/**
 * Starts the appliances plugin on a test backend over `knex`, with a fresh data
 * directory and permissions like the policy for a buyer: every permission but
 * the `denied` ones is allowed, and instances are conditional on owning them.
 */
export async function startAppliancesTestBackend(options: {
  knex: Knex;
  dataDirPrefix: string;
  denied?: string[];
  features?: BackendFeature[];
  /** The CA and client certificate the backend uses towards agents (a test agent's), instead of a new CA. */
  agentPki?: {
    ca: { cert: string; key: string };
    client: { cert: string; key: string };
  };
}) {
  const { knex, denied = [], features = [] } = options;
  const dataDir = await fs.mkdtemp(
    path.join(os.tmpdir(), options.dataDirPrefix),
  );
  if (options.agentPki) {
    const dir = path.join(dataDir, 'pki');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'ca.crt'), options.agentPki.ca.cert);
    await fs.writeFile(path.join(dir, 'ca.key'), options.agentPki.ca.key);
    await fs.writeFile(
      path.join(dir, 'backend-client.crt'),
      options.agentPki.client.cert,
    );
    await fs.writeFile(
      path.join(dir, 'backend-client.key'),
      options.agentPki.client.key,
    );
  }
  const permissions = mockServices.permissions.mock({
    authorize: async requests =>
      requests.map(r => ({
        result:
          'permission' in r && denied.includes(r.permission.name)
            ? AuthorizeResult.DENY
            : AuthorizeResult.ALLOW,
      })) as any,
    // Like the policy for a buyer: instances they own.
    authorizeConditional: async (requests, o) =>
      requests.map(() => ({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'appliances',
        resourceType: 'appliance-instance',
        conditions: instanceConditions.isOwner({
          owners: [
            (o.credentials.principal as { userEntityRef: string })
              .userEntityRef,
          ],
        }),
      })) as any,
  });
  const { server } = await startTestBackend({
    features: [
      appliancesPlugin,
      permissions.factory,
      ...features,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          appliances: {
            dataDir,
            secretKey: 'a-test-secret-key-of-enough-length!!',
          },
        },
      }),
    ],
  });
  return { server, dataDir };
}
