import {
  AuthService,
  DiscoveryService,
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import {
  APPLIANCES_CHANGED_TOPIC,
  AppliancesClient,
} from '@tempest/backstage-plugin-appliances-common';
import { createHash } from 'node:crypto';
import { coalescedRefresh } from '../coalescedRefresh';
import { applianceToEntity, channelLocationKey } from './applianceToEntity';

export type ApplianceEntityProviderOptions = {
  discovery: DiscoveryService;
  auth: AuthService;
  logger: LoggerService;
  taskRunner: SchedulerServiceTaskRunner;
  /** When given, a refresh also follows each APPLIANCES_CHANGED_TOPIC event, not only the schedule. */
  events?: EventsService;
  appBaseUrl?: string;
  /** For tests: where requests go. */
  fetch?: typeof fetch;
};

/**
 * Emits every appliance of every subscribed channel as a catalog entity.
 * Reads channels and appliances from the appliances backend with a service
 * token; one full mutation covers all channels, each entity carrying its
 * channel's stable locationKey. A failed read, of any page, sends nothing.
 * A channel whose last fetch failed still has its last good appliances in
 * the backend, so they stay in the catalog. The appliances backend announces
 * changes on the events service, so new appliances show up without waiting
 * for the schedule, which stays as the fallback (other replicas, a lost event).
 */
export class ApplianceEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private lastDigest?: string;
  private readonly client: AppliancesClient;

  constructor(private readonly options: ApplianceEntityProviderOptions) {
    const { auth } = options;
    const doFetch = options.fetch ?? fetch;
    this.client = new AppliancesClient({
      discoveryApi: options.discovery,
      fetchApi: {
        fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
          const { token } = await auth.getPluginRequestToken({
            onBehalfOf: await auth.getOwnServiceCredentials(),
            targetPluginId: 'appliances',
          });
          const request = new Request(input, init);
          request.headers.set('authorization', `Bearer ${token}`);
          return doFetch(request);
        },
      },
    });
  }

  getProviderName() {
    return 'tempest-appliances';
  }

  async connect(connection: EntityProviderConnection) {
    this.connection = connection;
    await this.options.events?.subscribe({
      id: `${this.getProviderName()}-changes`,
      topics: [APPLIANCES_CHANGED_TOPIC],
      onEvent: async () => {
        await this.refreshSoon();
      },
    });
    await this.options.taskRunner.run({
      id: `${this.getProviderName()}:refresh`,
      fn: () => this.refreshSoon(),
    });
  }

  /** Refreshes now, or once more right after the refresh under way (see coalescedRefresh). */
  readonly refreshSoon = coalescedRefresh(
    () => this.refresh(),
    error =>
      this.options.logger.warn(
        `Appliance entities not refreshed, catalog left as it was: ${error}`,
      ),
  );

  /** Reads everything, then applies one full mutation; unchanged input applies nothing. */
  async refresh(): Promise<{ entities: number; applied: boolean }> {
    if (!this.connection) throw new Error('Not connected');
    const channels = await this.client.listChannels();
    const appliances = await this.client.listAllAppliances();
    const byId = new Map(channels.map(c => [c.id, c]));
    const entities = appliances.flatMap(appliance => {
      const channel = byId.get(appliance.channel);
      if (!channel) return [];
      return [
        {
          entity: applianceToEntity(appliance, channel, {
            appBaseUrl: this.options.appBaseUrl,
          }),
          locationKey: channelLocationKey(channel.id),
        },
      ];
    });
    const digest = createHash('sha256')
      .update(JSON.stringify(entities))
      .digest('hex');
    if (digest === this.lastDigest)
      return { entities: entities.length, applied: false };
    await this.connection.applyMutation({ type: 'full', entities });
    this.lastDigest = digest;
    this.options.logger.info(
      `Applied ${entities.length} appliance entities from ${channels.length} channels`,
    );
    return { entities: entities.length, applied: true };
  }
}
