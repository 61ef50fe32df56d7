import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { ApplianceEntityProvider } from './appliances/ApplianceEntityProvider';
import { addHostingEntityProvider } from './hosting/addHostingEntityProvider';

/**
 * Emits every appliance of every subscribed channel as a `virtual-appliance`
 * Resource, right after the appliances backend announces a change and on a
 * schedule: `catalog.providers.tempestAppliances.schedule`, default every
 * 30 s (a run that finds nothing changed applies nothing).
 * Also adds hosts and instances (`addHostingEntityProvider`).
 */
export const catalogModuleAppliances = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'appliances',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        events: eventsServiceRef,
      },
      async init({
        catalog,
        config,
        discovery,
        auth,
        logger,
        scheduler,
        events,
      }) {
        const scheduleConfig = config.getOptionalConfig(
          'catalog.providers.tempestAppliances.schedule',
        );
        const schedule = scheduleConfig
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
          : {
              frequency: { seconds: 30 },
              timeout: { minutes: 5 },
              initialDelay: { seconds: 8 },
            };
        catalog.addEntityProvider(
          new ApplianceEntityProvider({
            discovery,
            auth,
            logger,
            events,
            appBaseUrl: config.getOptionalString('app.baseUrl'),
            taskRunner: scheduler.createScheduledTaskRunner(schedule),
          }),
        );
        addHostingEntityProvider({
          catalog,
          config,
          discovery,
          auth,
          logger,
          scheduler,
          events,
        });
      },
    });
  },
});
