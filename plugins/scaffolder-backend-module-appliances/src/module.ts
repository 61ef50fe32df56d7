import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createProvisionInstanceAction } from './actions/provisionInstance';
import { createRegisterHostAction } from './actions/registerHost';
import { createInstanceActionAction } from './actions/instanceAction';
import { createTopUpAccountAction } from './actions/topUpAccount';
import { createHostPowerAction } from './actions/hostPower';
import { createMigrateInstanceAction } from './actions/migrateInstance';

/** Scaffolder actions that drive the appliances backend. */
export const scaffolderModuleAppliances = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'appliances',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, discovery, auth }) {
        scaffolder.addActions(
          createProvisionInstanceAction({ discovery, auth }),
          createRegisterHostAction({ discovery, auth }),
          createInstanceActionAction({ discovery, auth }),
          createTopUpAccountAction({ discovery, auth }),
          createHostPowerAction({ discovery, auth }),
          createMigrateInstanceAction({ discovery, auth }),
        );
      },
    });
  },
});
