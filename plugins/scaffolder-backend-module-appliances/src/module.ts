import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';

/** Scaffolder actions that drive the appliances backend. */
export const scaffolderModuleAppliances = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'appliances',
  register(reg) {
    reg.registerInit({
      deps: { logger: coreServices.logger },
      async init({ logger }) {
        logger.info('Tempest scaffolder module registered');
      },
    });
  },
});
