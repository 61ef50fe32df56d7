import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { appliancesPermissions } from '@tempest/backstage-plugin-appliances-common';
import { createRouter } from './service/createRouter';
import { migrateDatabase } from './database/migrateDatabase';
import { ChannelStore } from './database/ChannelStore';

/** The Tempest appliances backend plugin (pluginId `appliances`). */
export const appliancesPlugin = createBackendPlugin({
  pluginId: 'appliances',
  register(env) {
    env.registerInit({
      deps: {
        auditor: coreServices.auditor,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init(deps) {
        deps.permissionsRegistry.addPermissions(appliancesPermissions);
        const db = await migrateDatabase(deps.database);
        const channels = new ChannelStore(db);

        deps.httpRouter.use(
          await createRouter({
            auditor: deps.auditor,
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            channels,
          }),
        );
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
