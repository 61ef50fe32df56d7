import {
  AuditorService,
  DiscoveryService,
  UserInfoService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import Router from 'express-promise-router';
import { applianceReadPermission } from '@tempest/backstage-plugin-appliances-common';
import { spec } from '../schema/openapi.generated';
import { ChannelStore } from '../database/ChannelStore';
import { ApplianceStore } from '../database/ApplianceStore';
import { ApplianceDirectory } from '../appliances/ApplianceDirectory';
import { ChannelRefresher } from '../channels/ChannelRefresher';
import { addChannelRoutes } from './channelRoutes';
import { addApplianceRoutes } from './applianceRoutes';
import { addStaticChannelRoutes } from './staticChannelRoutes';
import { authorize } from './authorize';
import type { Hosting } from '../hosting/createHosting';
import { addHostingRoutes } from './addHostingRoutes';
import { InstanceAccessDeps } from './instanceAccess';
import { jsonBody, rejectInvalidText } from './http/requestGuards';
import { errorHandler, notFoundHandler } from './http/errorHandler';
import type { Billing } from '../billing/createBilling';
import { addBillingRoutes } from '../billing/billingRoutes';
import { createConsoleProxy } from '../console/consoleProxy';

export interface RouterOptions {
  logger: LoggerService;
  auditor: AuditorService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  channels: ChannelStore;
  /** Optional so the foundation's router tests keep working without them. */
  appliances?: ApplianceStore;
  directory?: ApplianceDirectory;
  refresher?: ChannelRefresher;
  staticChannelsDirectory?: string;
  /** Hosts, instances and operations; absent in the foundation's router tests. */
  hosting?: Hosting;
  discovery?: DiscoveryService;
  userInfo?: UserInfoService;
  /** Turns the policy's instance conditions into database filters. */
  transformConditions?: InstanceAccessDeps['transformConditions'];
  /** Accounts and the ledger; absent in the foundation's router tests. */
  billing?: Billing;
}

export async function createRouter(options: RouterOptions) {
  const { channels, appliances } = options;
  // Every route of the spec goes through these before its validation: bodies
  // are bounded (413) and text no database can store is refused (400).
  const router = await createValidatedOpenApiRouter<typeof spec>(spec, {
    middleware: [jsonBody(), rejectInvalidText],
  });

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/summary', async (req, res) => {
    await authorize(
      options,
      req,
      applianceReadPermission,
      ['user', 'service'],
      'Not allowed to read the summary',
    );
    res.json({
      channels: await channels.count(),
      ...(appliances ? { appliances: await appliances.count() } : {}),
      ...(options.hosting
        ? {
            hosts: await options.hosting.hosts.count(),
            instances: await options.hosting.instances.count(),
          }
        : {}),
    });
  });

  addChannelRoutes(router, options);
  if (appliances && options.directory) {
    addApplianceRoutes(router, {
      ...options,
      appliances,
      directory: options.directory,
    });
  }
  if (options.staticChannelsDirectory) {
    addStaticChannelRoutes(router, options.staticChannelsDirectory);
  }
  if (
    options.hosting &&
    options.discovery &&
    options.userInfo &&
    options.transformConditions
  ) {
    addHostingRoutes(router, {
      ...options,
      admitProvisioning: options.billing?.admit,
      hosting: options.hosting,
      discovery: options.discovery,
      userInfo: options.userInfo,
      transformConditions: options.transformConditions,
    });
  }
  if (options.billing && options.userInfo) {
    addBillingRoutes(router, {
      ...options,
      userInfo: options.userInfo,
      accounts: options.billing.accounts,
      topUps: options.billing.topUps,
      reversals: options.billing.reversals,
      ledger: options.billing.ledger,
      income: options.billing.income,
      config: options.billing.config,
      market: options.billing.market,
      offerHosts: options.billing.offerHosts,
    });
  }
  // Outside the validated router, so its errors (a route's, the validator's)
  // all end here, and a path no route serves is answered with a message.
  const outer = Router();
  if (options.hosting && options.discovery) {
    const { discovery } = options;
    const proxy = createConsoleProxy({
      console: options.hosting.instanceConsole,
      sessions: options.hosting.consoleSessions,
      auditor: options.auditor,
      logger: options.logger,
      basePath: async () =>
        new URL(await discovery.getBaseUrl('appliances')).pathname.replace(
          /\/+$/,
          '',
        ),
    });
    outer.use(proxy.attach);
  }
  outer.use(router);
  outer.use(notFoundHandler);
  outer.use(errorHandler(options.logger));
  return outer;
}
