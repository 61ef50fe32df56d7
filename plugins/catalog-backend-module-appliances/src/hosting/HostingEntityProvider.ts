import {
  AuthService,
  DiscoveryService,
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { EventsService } from '@backstage/plugin-events-node';
import { HOSTING_CHANGED_TOPIC } from '@tempest/backstage-plugin-appliances-common';
import { coalescedRefresh } from '../coalescedRefresh';
import {
  HOSTING_LOCATION,
  HostView,
  InstanceView,
  hostToEntity,
  instanceToEntity,
} from './hostingEntities';

/**
 * Emits registered hosts and live instances from the appliances backend as
 * catalog entities. Each run reads both lists in full and applies one full
 * mutation; a failed read applies nothing, so nothing is deleted by accident.
 * Runs on its schedule and, given the events service, as soon as the
 * appliances backend announces a changed instance.
 */
export class HostingEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;

  constructor(
    private readonly deps: {
      discovery: DiscoveryService;
      auth: AuthService;
      logger: LoggerService;
      taskRunner: SchedulerServiceTaskRunner;
      events?: EventsService;
      fetch?: typeof fetch;
      /** The portal's URL, for links from entities to Tempest's pages. */
      appBaseUrl?: string;
    },
  ) {}

  getProviderName() {
    return 'tempest-appliance-hosting';
  }

  async connect(connection: EntityProviderConnection) {
    this.connection = connection;
    await this.deps.events?.subscribe({
      id: `${this.getProviderName()}-changes`,
      topics: [HOSTING_CHANGED_TOPIC],
      onEvent: async () => {
        await this.refreshSoon();
      },
    });
    await this.deps.taskRunner.run({
      id: `${this.getProviderName()}:refresh`,
      fn: () => this.refreshSoon(),
    });
  }

  /** Refreshes now, or once more right after the refresh under way (see coalescedRefresh). */
  readonly refreshSoon = coalescedRefresh(
    () => this.refresh(),
    error =>
      this.deps.logger.warn(
        `Host and instance entities not refreshed, catalog left as it was: ${error}`,
      ),
    // Instances change often (every action, every provisioning) and each run reads them all:
    // a lone change shows at once, a stream of them costs one full read every 5 s.
    { minGapMs: 5000 },
  );

  private async get<T>(path: string): Promise<T> {
    const base = await this.deps.discovery.getBaseUrl('appliances');
    const { token } = await this.deps.auth.getPluginRequestToken({
      onBehalfOf: await this.deps.auth.getOwnServiceCredentials(),
      targetPluginId: 'appliances',
    });
    const res = await (this.deps.fetch ?? fetch)(`${base}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw await ResponseError.fromResponse(res);
    return (await res.json()) as T;
  }

  /** Every instance, page by page; a failed page fails the whole refresh (no partial full mutation). */
  private async allInstances(): Promise<{ items: InstanceView[] }> {
    const items: InstanceView[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page: { items: InstanceView[]; nextOffset?: number } =
        await this.get(`/instances?limit=500&offset=${offset}`);
      items.push(...page.items);
      offset =
        page.nextOffset && page.nextOffset > offset
          ? page.nextOffset
          : undefined;
    }
    return { items };
  }

  async refresh(): Promise<{ hosts: number; instances: number }> {
    if (!this.connection) throw new Error('Not connected');
    const [hosts, instances] = await Promise.all([
      this.get<{ items: HostView[] }>('/hosts'),
      this.allInstances(),
    ]);
    const hostsById = new Map(hosts.items.map(h => [h.id, h]));
    const entities: Entity[] = hosts.items.map(h =>
      hostToEntity(h, this.deps.appBaseUrl),
    );
    for (const instance of instances.items) {
      const entity = instanceToEntity(
        instance,
        hostsById,
        this.deps.appBaseUrl,
      );
      if (entity) entities.push(entity);
    }
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: HOSTING_LOCATION,
      })),
    });
    this.deps.logger.debug(
      `Applied ${entities.length} host and instance entities`,
    );
    return {
      hosts: hosts.items.length,
      instances: entities.length - hosts.items.length,
    };
  }
}
