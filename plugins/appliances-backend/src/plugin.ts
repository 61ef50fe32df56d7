import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { eventsServiceRef } from '@backstage/plugin-events-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import {
  APPLIANCES_CHANGED_TOPIC,
  appliancesPermissions,
  instancePermissions,
} from '@tempest/backstage-plugin-appliances-common';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import {
  instanceResourceRef,
  instanceRules,
} from './permissions/instanceRules';
import { createRouter } from './service/createRouter';
import { migrateDatabase } from './database/migrateDatabase';
import { ChannelStore } from './database/ChannelStore';
import { ApplianceStore } from './database/ApplianceStore';
import { ApplianceDirectory } from './appliances/ApplianceDirectory';
import { ChannelRefresher } from './channels/ChannelRefresher';
import { readAppliancesConfig } from './config/readAppliancesConfig';
import { createHosting } from './hosting/createHosting';
import { guardedAgent } from '@tempest/outbound-guard';
import { createBilling } from './billing/createBilling';

/** The Tempest appliances backend plugin (pluginId `appliances`). */
export const appliancesPlugin = createBackendPlugin({
  pluginId: 'appliances',
  register(env) {
    env.registerInit({
      deps: {
        auditor: coreServices.auditor,
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        scheduler: coreServices.scheduler,
        discovery: coreServices.discovery,
        userInfo: coreServices.userInfo,
        lifecycle: coreServices.lifecycle,
        events: eventsServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const config = await readAppliancesConfig(deps.config);
        deps.permissionsRegistry.addPermissions(
          appliancesPermissions.filter(
            p => !instancePermissions.includes(p as any),
          ),
        );
        deps.permissionsRegistry.addResourceType({
          resourceRef: instanceResourceRef,
          permissions: instancePermissions,
          rules: Object.values(instanceRules),
        });
        const transformConditions = createConditionTransformer(
          deps.permissionsRegistry.getPermissionRuleset(instanceResourceRef),
        );
        const db = await migrateDatabase(deps.database);
        const channels = new ChannelStore(db);
        const appliances = new ApplianceStore(db);
        const directory = new ApplianceDirectory(appliances, {
          allowUnsigned: config.allowUnsigned,
          // The catalog module refreshes on this rather than waiting for its schedule.
          onChanged: () =>
            void deps.events
              .publish({ topic: APPLIANCES_CHANGED_TOPIC, eventPayload: {} })
              .catch(e =>
                deps.logger.warn(`Could not announce changed appliances: ${e}`),
              ),
        });
        await channels.syncConfigChannels(config.channels);
        // Every fetch of a feed, definition, signature or image goes through it.
        const outbound = guardedAgent(config.addressPolicy, {
          connections: 32,
          keepAliveTimeout: 10_000,
        });
        deps.lifecycle.addShutdownHook(() => outbound.close());
        const refresher = new ChannelRefresher({
          db,
          channels,
          appliances,
          logger: deps.logger.child({ task: 'channel-refresh' }),
          auditor: deps.auditor,
          feedLimits: config.feedLimits,
          definitionLimits: config.definitionLimits,
          verifyImagesUpToBytes: config.verifyImagesUpToBytes,
          maxItems: config.maxItems,
          concurrency: config.concurrency,
          dispatcher: outbound,
          onIngested: () => directory.invalidate(),
        });
        await deps.scheduler.scheduleTask({
          id: 'appliances-channel-refresh',
          scope: 'global',
          ...config.schedule,
          fn: () => refresher.refreshDue(),
        });

        const hosting = await createHosting({
          ...deps,
          db,
          channels,
          appliances,
          directory,
          outbound,
        });
        deps.lifecycle.addShutdownHook(() => hosting.stop());
        const billing = await createBilling({
          db,
          config: deps.config,
          currency: config.currency,
          scheduler: deps.scheduler,
          logger: deps.logger,
          appliances,
          hosts: hosting.hosts,
          notifications: deps.notifications,
          auditor: deps.auditor,
          events: deps.events,
          async stopInstance(instanceId, actor) {
            const instance = await hosting.instances.get(instanceId);
            if (instance?.state === 'started')
              await hosting.actions.run(
                instance,
                'stop',
                instance.version,
                actor,
              );
          },
        });

        deps.httpRouter.use(
          await createRouter({
            logger: deps.logger,
            hosting,
            discovery: deps.discovery,
            userInfo: deps.userInfo,
            auditor: deps.auditor,
            httpAuth: deps.httpAuth,
            permissions: deps.permissions,
            channels,
            appliances,
            directory,
            refresher,
            staticChannelsDirectory: config.staticChannelsDirectory,
            transformConditions,
            billing,
          }),
        );
        deps.httpRouter.addAuthPolicy({
          path: '/health',
          allow: 'unauthenticated',
        });
        if (config.staticChannelsDirectory) {
          deps.httpRouter.addAuthPolicy({
            path: '/static/channels',
            allow: 'unauthenticated',
          });
        }
        // The console websocket's upgrade carries its single-use ticket instead of a token.
        deps.httpRouter.addAuthPolicy({
          path: '/console/sessions',
          allow: 'unauthenticated',
        });
        // Agents enrol with a one-time token and heartbeat with their own token.
        deps.httpRouter.addAuthPolicy({
          path: '/agent',
          allow: 'unauthenticated',
        });
        if (hosting.config.osImageDirectory) {
          deps.httpRouter.addAuthPolicy({
            path: '/static/os-images',
            allow: 'unauthenticated',
          });
        }
        await hosting.start();
      },
    });
  },
});
