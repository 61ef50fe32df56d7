import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /** Appliances from subscribed channels (`catalogModuleAppliances`). */
      tempestAppliances?: {
        /** How often to read appliances from the appliances backend. Default every 30 s, first run after 8 s. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
      /** Hosts and instances (`catalogModuleAppliances`, `addHostingEntityProvider`). */
      tempestHosting?: {
        /** How often to read hosts and instances. Default every 10 s. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
    };
  };
}
