import {
  AuditorService,
  DiscoveryService,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import type { Hosting } from '../hosting/createHosting';
import { addAgentRoutes } from './agentRoutes';
import { addConsoleRoutes } from './consoleRoutes';
import { addHostRoutes } from './hostRoutes';
import { addHostPowerRoutes } from './hostPowerRoutes';
import { InstanceRoutesOptions, addInstanceRoutes } from './instanceRoutes';
import { addOperationRoutes } from './operationRoutes';
import { AppliancesRouter } from './types';
import { InstanceAccessDeps } from './instanceAccess';

/** Mounts the host, host power, agent, instance and operation routes. */
export function addHostingRoutes(
  router: AppliancesRouter,
  options: {
    auditor: AuditorService;
    httpAuth: HttpAuthService;
    permissions: PermissionsService;
    discovery: DiscoveryService;
    userInfo: UserInfoService;
    hosting: Hosting;
    transformConditions: InstanceAccessDeps['transformConditions'];
    admitProvisioning?: InstanceRoutesOptions['admitProvisioning'];
  },
) {
  const { hosting } = options;
  addHostRoutes(router, {
    ...options,
    hosts: hosting.hosts,
    enrolment: hosting.enrolment,
  });
  addHostPowerRoutes(router, {
    ...options,
    hosts: hosting.hosts,
    power: hosting.power,
  });
  addAgentRoutes(router, {
    ...options,
    logger: hosting.logger,
    hosts: hosting.hosts,
    enrolment: hosting.enrolment,
    heartbeatIntervalSeconds: hosting.config.heartbeatIntervalSeconds,
    osImageDirectory: hosting.config.osImageDirectory,
  });
  addInstanceRoutes(router, {
    ...options,
    hosts: hosting.hosts,
    instances: hosting.instances,
    events: hosting.events,
    actions: hosting.actions,
    provisioning: hosting.provisioning,
    runner: hosting.runner,
    currency: hosting.config.currency,
  });
  addConsoleRoutes(router, {
    ...options,
    instances: hosting.instances,
    instanceConsole: hosting.instanceConsole,
  });
  addOperationRoutes(router, {
    ...options,
    operations: hosting.operations,
    instances: hosting.instances,
  });
}
