import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { HostingEntityProvider } from './HostingEntityProvider';

/**
 * Hosts and instances from the appliances backend as catalog entities.
 * Schedule: `catalog.providers.tempestHosting.schedule`, default every 10 s.
 */
export const catalogModuleApplianceHosting = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'appliance-hosting',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
      },
      async init({ catalog, config, discovery, auth, logger, scheduler }) {
        const scheduleConfig = config.getOptionalConfig('catalog.providers.tempestHosting.schedule');
        const schedule = scheduleConfig
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
          : { frequency: { seconds: 10 }, timeout: { minutes: 1 }, initialDelay: { seconds: 5 } };
        catalog.addEntityProvider(
          new HostingEntityProvider({
            discovery,
            auth,
            logger,
            taskRunner: scheduler.createScheduledTaskRunner(schedule),
          }),
        );
      },
    });
  },
});
