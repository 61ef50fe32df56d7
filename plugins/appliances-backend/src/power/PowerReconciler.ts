import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { Host, HostStore } from '../hosts/HostStore';
import { BmcDriver } from './BmcDriver';
import { PowerStore } from './PowerStore';

export type PowerReconcilerOptions = {
  hosts: HostStore;
  store: PowerStore;
  driver: BmcDriver;
  logger: LoggerService;
  auditor: AuditorService;
  /** A power change Tempest made this recently is still settling: not drift. */
  settleMs: number;
  /** How long a host may boot before a silent agent is flagged. */
  bootGraceMs: number;
  /** BMCs read at once. */
  concurrency?: number;
};

/**
 * Reads every host's BMC: its power and Watts. Drift between the BMC and the
 * database is corrected and recorded; a BMC that times out or errs leaves the
 * host `unknown` (never a false off) and flags the fault; a host whose BMC
 * says on while its agent stays silent is flagged.
 */
export class PowerReconciler {
  constructor(private readonly o: PowerReconcilerOptions) {}

  async reconcileAll(now = new Date()): Promise<void> {
    const hosts = (await this.o.hosts.list()).filter(
      h => h.bmc?.hasCredentials && h.state !== 'pending',
    );
    const queue = [...hosts];
    const workers = Array.from(
      { length: Math.min(this.o.concurrency ?? 8, queue.length) },
      async () => {
        for (let host = queue.shift(); host; host = queue.shift()) {
          try {
            await this.reconcile(host, now);
          } catch (e) {
            this.o.logger.warn(`Power reconcile of ${host.name} failed: ${e}`);
          }
        }
      },
    );
    await Promise.all(workers);
  }

  async reconcile(host: Host, now = new Date()): Promise<void> {
    const { store, driver } = this.o;
    const target = (await this.o.hosts.bmcTarget(host.id))!;
    let power: 'on' | 'off';
    let watts: number | undefined;
    try {
      power = await driver.status(target);
      watts = await driver.readWatts(target);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      await store.setState(host.id, 'unknown', now);
      await store.setFault(host.id, message, now);
      if (!host.power.bmcFault)
        await this.decide(
          host,
          'fault',
          `The BMC did not answer: ${message}; power is unknown until it does`,
          now,
        );
      return;
    }
    if (host.power.bmcFault) await store.setFault(host.id, null);
    if (watts !== undefined) await store.recordReading(host.id, watts, now);

    let changedAt = host.power.changedAt
      ? new Date(host.power.changedAt).getTime()
      : 0;
    const settling = now.getTime() - changedAt < this.o.settleMs;
    if (
      host.power.state !== power &&
      !(settling && host.power.state !== 'unknown')
    ) {
      await store.setState(host.id, power, now);
      changedAt = now.getTime();
      if (host.power.state !== 'unknown')
        await this.decide(
          host,
          'drift',
          `The BMC says ${power} while Tempest had ${host.power.state}: changed outside Tempest; recorded as ${power}`,
          now,
          host.power.state === 'on' ? host.power.watts : undefined,
        );
    }

    // Silent: on by the BMC, yet no heartbeat (offline) well after it came on.
    const silent =
      power === 'on' &&
      host.state === 'offline' &&
      now.getTime() - changedAt >= this.o.bootGraceMs;
    if (silent && !host.power.agentSilentSince) {
      await store.setAgentSilent(host.id, now);
      await this.decide(
        host,
        'silent',
        `The BMC says on but the agent has sent no heartbeat since ${host.lastHeartbeatAt ?? 'enrolment'}`,
        now,
      );
    } else if (
      !silent &&
      host.power.agentSilentSince &&
      (power === 'off' || host.state === 'online')
    ) {
      await store.setAgentSilent(host.id, null);
    }
  }

  private async decide(
    host: Host,
    action: 'drift' | 'fault' | 'silent',
    reason: string,
    now: Date,
    watts?: number,
  ) {
    this.o.logger.warn(`Host ${host.name}: ${reason}`);
    await this.o.store.recordDecision({
      hostId: host.id,
      hostName: host.name,
      actor: 'power-loop',
      action,
      reason,
      outcome: 'done',
      decidedAt: now,
      ...(watts !== undefined ? { watts } : {}),
    });
    const event = await this.o.auditor.createEvent({
      eventId: 'host-power-reconciled',
      severityLevel: 'medium',
      meta: { hostId: host.id, hostName: host.name, action, reason },
    });
    await event.success();
  }
}
