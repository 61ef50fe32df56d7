import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { InstanceState } from '@tempest/backstage-plugin-appliances-common';
import type {
  AgentApiComponents,
  AgentClient,
} from '@tempest/backstage-plugin-appliances-common/agent';
import { Host, HostStore } from '../hosts/HostStore';
import { agentCall } from '../operations/agentCall';
import { InstanceEventStore } from './InstanceEventStore';
import { Instance, InstanceStore } from './InstanceStore';
import type { AgentAddress } from '../hosts/AgentConnector';

type DomainStateName = AgentApiComponents['schemas']['DomainStateName'];

export type InstanceReconcilerOptions = {
  instances: InstanceStore;
  events: InstanceEventStore;
  hosts: Pick<HostStore, 'list'>;
  agents: { forHost(host: AgentAddress): AgentClient };
  auditor: AuditorService;
  logger: LoggerService;
};

/**
 * The state an instance should be recorded in given its domain's state on
 * the host, or undefined when the record is right (or the agent's answer
 * says nothing certain).
 */
export function driftOf(
  recorded: InstanceState,
  domain: DomainStateName | 'missing',
): { state: InstanceState; error: string | null } | undefined {
  const agentSays = (state: InstanceState, error: string | null = null) =>
    state === recorded ? undefined : { state, error };
  switch (domain) {
    case 'running':
    case 'blocked':
      return agentSays('started');
    case 'paused':
    case 'pmsuspended':
      return agentSays('suspended');
    case 'shutoff':
    case 'shutdown':
      // A stored instance is shut off by definition.
      return recorded === 'stored' ? undefined : agentSays('stopped');
    case 'crashed':
      return agentSays('error', 'The guest crashed on its host');
    case 'missing':
      return agentSays('error', 'The domain is gone from its host');
    default:
      return undefined;
  }
}

/**
 * Compares each instance's recorded state with what its host's agent reports
 * and records the agent's truth, with an audit event and an instance event.
 * Runs on the scheduler (global scope: one replica at a time).
 */
export class InstanceReconciler {
  constructor(private readonly o: InstanceReconcilerOptions) {}

  async reconcileAll(): Promise<{ checked: number; fixed: number }> {
    let checked = 0;
    let fixed = 0;
    for (const host of await this.o.hosts.list()) {
      if (host.state !== 'online') continue;
      try {
        const result = await this.reconcileHost(host);
        checked += result.checked;
        fixed += result.fixed;
      } catch (e) {
        this.o.logger.warn(
          `Reconciling instances on ${host.name} failed: ${(e as Error).message}`,
        );
      }
    }
    return { checked, fixed };
  }

  async reconcileHost(host: Host): Promise<{ checked: number; fixed: number }> {
    const recorded = await this.o.instances.listOnHostForReconcile(host.id);
    if (!recorded.length) return { checked: 0, fixed: 0 };
    const agent = this.o.agents.forHost(host);
    const { data } = await agentCall('list domains', agent.GET('/v1/domains'));
    const domains = new Map(
      data.items.map(d => [d.name, d.state as DomainStateName]),
    );
    const interfaces = new Map(data.items.map(d => [d.name, d.interfaces]));
    let fixed = 0;
    for (const instance of recorded) {
      const nic = interfaces
        .get(instance.domainName!)
        ?.find(i => i.mac === instance.mac);
      if (nic) await this.recordAddresses(instance, nic.addresses);
      if (instance.pendingAction) continue;
      const drift = driftOf(
        instance.state,
        domains.get(instance.domainName!) ?? 'missing',
      );
      if (
        drift &&
        (await this.fix(
          instance,
          drift.state,
          drift.error,
          domains.get(instance.domainName!) ?? 'missing',
        ))
      ) {
        fixed++;
      }
    }
    return { checked: recorded.length, fixed };
  }

  /** Keeps the addresses the guest holds, as DHCP gives and changes them. */
  private async recordAddresses(instance: Instance, addresses: string[]) {
    if (!(await this.o.instances.recordAddresses(instance.id, addresses)))
      return;
    this.o.logger.info(
      `Instance ${instance.hostname}: addresses ${addresses.join(', ') || 'none'} (were ${instance.addresses.join(', ') || 'none'})`,
    );
  }

  private async fix(
    instance: Instance,
    state: InstanceState,
    error: string | null,
    domainState: string,
  ) {
    // Conditional on the version read: an action that raced us wins.
    if (
      !(await this.o.instances.reconcile(
        instance.id,
        instance.version,
        state,
        error,
      ))
    )
      return false;
    const message = `Recorded ${instance.state}, the agent reports the domain ${domainState}`;
    await this.o.events.record({
      instanceId: instance.id,
      actor: 'system:reconciler',
      kind: 'reconcile',
      fromState: instance.state,
      toState: state,
      version: instance.version + 1,
      outcome: 'succeeded',
      message,
    });
    const event = await this.o.auditor.createEvent({
      eventId: 'instance-reconciled',
      severityLevel: 'medium',
      meta: {
        instanceId: instance.id,
        from: instance.state,
        to: state,
        version: instance.version + 1,
        domainState,
      },
    });
    await event.success();
    this.o.logger.info(
      `Instance ${instance.hostname}: ${message}; now ${state}`,
    );
    return true;
  }
}
