import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { HostStore } from './HostStore';

/**
 * Marks online hosts offline when their heartbeats stop. Runs as a global
 * scheduled task so one replica does it at a time.
 */
export class HostMonitor {
  constructor(
    private readonly hosts: HostStore,
    private readonly options: {
      /** A host is offline after this long without a heartbeat. */
      offlineAfterMs: number;
      logger: LoggerService;
      auditor: AuditorService;
    },
  ) {}

  async markMissedHeartbeats(now = Date.now()): Promise<string[]> {
    const marked = await this.hosts.markStaleOffline(
      new Date(now - this.options.offlineAfterMs),
    );
    for (const host of marked) {
      this.options.logger.warn(
        `Host ${host.name} missed its heartbeats; marked offline`,
      );
      const event = await this.options.auditor.createEvent({
        eventId: 'host-offline',
        severityLevel: 'medium',
        meta: {
          hostId: host.id,
          hostName: host.name,
          lastHeartbeatAt: host.lastHeartbeatAt ?? null,
        },
      });
      await event.success();
    }
    return marked.map(h => h.name);
  }
}
