import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { TempestPermissionPolicy } from './TempestPermissionPolicy';
import { readTempestRoles } from './readTempestRoles';

export const tempestPermissionPolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'tempest-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(new TempestPermissionPolicy(readTempestRoles(config)));
      },
    });
  },
});
