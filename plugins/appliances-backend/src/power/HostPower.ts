import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { Host, HostStore } from '../hosts/HostStore';
import { Instance, InstanceStore } from '../instances/InstanceStore';
import { BmcDriver, BmcError, BmcTarget } from './BmcDriver';
import { PowerStore } from './PowerStore';
import { powerOff } from './powerOff';

export type HostPowerAction = 'on' | 'off' | 'cycle';

const VERBS: Record<HostPowerAction, string> = {
  on: 'power it on',
  off: 'power it off',
  cycle: 'power-cycle it',
};

export type HostPowerOptions = {
  hosts: HostStore;
  store: PowerStore;
  driver: BmcDriver;
  instances: Pick<InstanceStore, 'listActiveOnHost' | 'get'>;
  /** Stops one instance cleanly (guest shutdown, then destroy after the timeout). */
  stopInstance(instance: Instance, actor: string): Promise<void>;
  /** How long a soft (ACPI) power-off may take before it turns hard. */
  softOffTimeoutMs: number;
  logger: LoggerService;
};

/**
 * Power actions on a host through its BMC, for people (the API), the power
 * loop and provisioning alike: each recorded as a decision with its reason,
 * and a host with running instances powered off only when forced, after
 * its instances were stopped cleanly.
 */
export class HostPower {
  constructor(private readonly o: HostPowerOptions) {}

  get driver(): BmcDriver {
    return this.o.driver;
  }

  /** The BMC to talk to, or a conflict saying why there is none. */
  async targetOf(host: Host): Promise<BmcTarget> {
    const target = await this.o.hosts.bmcTarget(host.id);
    if (!target)
      throw new ConflictError(
        `Host ${host.name} has no BMC address and credentials; power actions need them`,
      );
    return target;
  }

  async act(
    hostId: string,
    action: HostPowerAction,
    options: {
      actor: string;
      reason: string;
      force?: boolean;
      /** Power off only if the host still holds nothing (consolidation). */
      requireEmpty?: boolean;
      /** When the decision is recorded (the power loop's clock). */
      now?: Date;
    },
  ): Promise<Host> {
    const host = await this.o.hosts.get(hostId);
    if (!host) throw new NotFoundError(`No host '${hostId}'`);
    const target = await this.targetOf(host);
    if (action !== 'on') await this.stopInstancesFirst(host, action, options);
    const now = options.now ?? new Date();
    const decision = {
      decidedAt: now,
      hostId: host.id,
      hostName: host.name,
      actor: options.actor,
      action,
    };
    try {
      let how = '';
      if (action === 'on') {
        await this.o.driver.on(target);
        await this.o.store.setState(host.id, 'on', now);
      } else if (action === 'off') {
        // An empty host is claimed first so no placement reserves it meanwhile.
        if (!(await this.o.store.claimEmptyForOff(host.id, now))) {
          if (options.requireEmpty)
            throw new ConflictError(
              `${host.name} is no longer empty or on; left as it is`,
            );
          await this.o.store.setState(host.id, 'off', now);
        }
        const took = await powerOff(this.o.driver, target, {
          softTimeoutMs: this.o.softOffTimeoutMs,
        });
        await this.o.store.setState(host.id, 'off', now);
        how =
          took === 'already'
            ? ' (it was off already)'
            : ` (${took === 'soft' ? 'the operating system shut down' : 'hard, after the soft shutdown timed out'})`;
      } else {
        await this.o.driver.cycle(target);
        await this.o.store.setState(host.id, 'on', now);
      }
      await this.o.store.setFault(host.id, null);
      await this.o.store.recordDecision({
        ...decision,
        reason: `${options.reason}${how}`,
        outcome: 'done',
        ...(action === 'off' && host.power.watts !== undefined
          ? { watts: host.power.watts }
          : {}),
      });
    } catch (e) {
      if (e instanceof ConflictError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      await this.o.store.setFault(host.id, message, now);
      // After a failed action Tempest does not know what the chassis is.
      await this.o.store.setState(host.id, 'unknown', now);
      await this.o.store.recordDecision({
        ...decision,
        reason: `${options.reason}: ${message}`,
        outcome: 'failed',
      });
      if (e instanceof BmcError)
        throw new ServiceUnavailableError(
          `The BMC of ${host.name} did not ${VERBS[action]}: ${message}`,
        );
      throw e;
    }
    return (await this.o.hosts.get(host.id))!;
  }

  /** Refuses to interrupt instances unless forced; forced, stops them cleanly first. */
  private async stopInstancesFirst(
    host: Host,
    action: HostPowerAction,
    options: { actor: string; force?: boolean },
  ) {
    const active = await this.o.instances.listActiveOnHost(host.id);
    if (!active.length) return;
    const names = (list: Instance[]) =>
      list
        .slice(0, 5)
        .map(i => `${i.hostname} (${i.state})`)
        .join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
    const verb = action === 'off' ? 'power off' : 'power-cycle';
    if (!options.force)
      throw new ConflictError(
        `${host.name} has ${active.length} running instance${active.length === 1 ? '' : 's'}: ${names(active)}. To ${verb} it anyway, use force: they are stopped cleanly first.`,
      );
    const busy = active.filter(
      i => i.state !== 'started' && i.state !== 'suspended',
    );
    if (busy.length)
      throw new ConflictError(
        `${host.name} has instances in the middle of an operation: ${names(busy)}. Wait for them to finish.`,
      );
    for (const instance of active) {
      this.o.logger.info(
        `Stopping ${instance.hostname} before ${host.name} is powered off`,
      );
      await this.o.stopInstance(instance, options.actor);
    }
  }
}
