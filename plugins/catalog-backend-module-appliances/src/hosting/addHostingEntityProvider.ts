import {
  AuthService,
  DiscoveryService,
  LoggerService,
  RootConfigService,
  SchedulerService,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { CatalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { HostingEntityProvider } from './HostingEntityProvider';

/**
 * Adds hosts and instances from the appliances backend as catalog entities.
 * Refreshed when the appliances backend announces a changed instance, and on
 * `catalog.providers.tempestHosting.schedule`, default every 10 s.
 */
export function addHostingEntityProvider({
  catalog,
  config,
  discovery,
  auth,
  logger,
  scheduler,
  events,
}: {
  catalog: CatalogProcessingExtensionPoint;
  config: RootConfigService;
  discovery: DiscoveryService;
  auth: AuthService;
  logger: LoggerService;
  scheduler: SchedulerService;
  events?: EventsService;
}) {
  const scheduleConfig = config.getOptionalConfig(
    'catalog.providers.tempestHosting.schedule',
  );
  const schedule = scheduleConfig
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
    : {
        frequency: { seconds: 10 },
        timeout: { minutes: 1 },
        initialDelay: { seconds: 5 },
      };
  catalog.addEntityProvider(
    new HostingEntityProvider({
      discovery,
      auth,
      logger,
      events,
      appBaseUrl: config.getOptionalString('app.baseUrl'),
      taskRunner: scheduler.createScheduledTaskRunner(schedule),
    }),
  );
}
