import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { InstanceState } from '@tempest/backstage-plugin-appliances-common';
import type {
  AgentApiComponents,
  AgentClient,
} from '@tempest/backstage-plugin-appliances-common/agent';
import type { AgentAddress } from '../hosts/AgentConnector';
import { HostStore } from '../hosts/HostStore';
import { AgentCallError, agentCall } from '../operations/agentCall';
import { OperationStore } from '../operations/OperationStore';
import { InstanceEventStore } from './InstanceEventStore';
import { driftOf } from './InstanceReconciler';
import { InstanceStore } from './InstanceStore';
import { InterruptedAction } from './Instance';
import { releaseCapacity, runActionOnAgent } from './runActionOnAgent';

type DomainStateName = AgentApiComponents['schemas']['DomainStateName'];

export type InterruptedActionsOptions = {
  instances: InstanceStore;
  events: Pick<InstanceEventStore, 'record'>;
  hosts: Pick<HostStore, 'get' | 'release'>;
  operations: Pick<OperationStore, 'get'>;
  agents: { forHost(host: AgentAddress): AgentClient };
  auditor: AuditorService;
  logger: LoggerService;
  shutdownTimeoutSeconds: number;
};

type Settlement = {
  state: InstanceState;
  error: string | null;
  /** What happened, for the instance's history. */
  message: string;
};

/**
 * Settles actions whose process died mid-call (their lease lapsed): a power
 * action ends in the state the agent reports for the domain; a delete is
 * finished on the agent; when the host cannot be asked, the instance goes
 * back to the state the action started from and the reconciler aligns it
 * once the host answers. Runs at start-up and every few seconds.
 */
export class InterruptedActions {
  constructor(private readonly o: InterruptedActionsOptions) {}

  async settleAll(): Promise<{ settled: number }> {
    let settled = 0;
    for (const action of await this.o.instances.listInterrupted()) {
      try {
        if (await this.settle(action)) settled++;
      } catch (e) {
        this.o.logger.warn(
          `Settling the interrupted ${action.pendingAction} of instance ${action.hostname} failed: ${e}`,
        );
      }
    }
    return { settled };
  }

  private async settle(action: InterruptedAction): Promise<boolean> {
    const settlement = await this.settlementOf(action);
    if (
      !(await this.o.instances.settleInterrupted(
        action.id,
        action.version,
        settlement.state,
        settlement.error,
      ))
    )
      return false;
    await this.o.events.record({
      instanceId: action.id,
      actor: 'system:interrupted-actions',
      kind: 'reconcile',
      action: action.pendingAction,
      fromState: action.state,
      toState: settlement.state,
      version: action.version + 1,
      outcome: settlement.error ? 'failed' : 'succeeded',
      message: settlement.message,
    });
    const event = await this.o.auditor.createEvent({
      eventId: 'instance-action-settled',
      severityLevel: 'medium',
      meta: {
        instanceId: action.id,
        action: action.pendingAction,
        from: action.pendingFrom,
        to: settlement.state,
        version: action.version + 1,
      },
    });
    await event.success();
    this.o.logger.info(`Instance ${action.hostname}: ${settlement.message}`);
    return true;
  }

  private async settlementOf(action: InterruptedAction): Promise<Settlement> {
    const what = `The ${action.pendingAction} action was interrupted (its backend process stopped)`;
    const back = (why: string): Settlement => ({
      state: action.pendingFrom,
      error: `${what}; ${why}`,
      message: `${what}; ${why}`,
    });
    if (
      action.pendingAction === 'retry' ||
      action.pendingAction === 'migrate'
    ) {
      // The claim and the reopened (or new) operation were one transaction; the operation resumes on its own.
      return {
        state: action.state,
        error: null,
        message: `${what}; its ${action.pendingAction === 'retry' ? 'provisioning' : 'migration'} operation resumes`,
      };
    }
    const host = action.hostId
      ? await this.o.hosts.get(action.hostId)
      : undefined;
    const hasDomain = Boolean(host && action.domainName);
    if (action.pendingAction === 'delete' && !hasDomain) {
      await releaseCapacity(this.o.hosts, this.o.operations, action);
      return { state: 'deleted', error: null, message: `${what}; now deleted` };
    }
    if (!host || !action.domainName || host.state !== 'online') {
      return back(
        `host ${host?.name ?? action.hostId ?? '(none)'} is ${host?.state ?? 'gone'}, so it is back to ${action.pendingFrom} until its agent can be asked`,
      );
    }
    const agent = this.o.agents.forHost(host);
    if (action.pendingAction === 'delete') {
      try {
        await runActionOnAgent(
          agent,
          action,
          'delete',
          this.o.shutdownTimeoutSeconds,
        );
      } catch (e) {
        return back(`finishing the delete failed: ${(e as Error).message}`);
      }
      await releaseCapacity(this.o.hosts, this.o.operations, action);
      return {
        state: 'deleted',
        error: null,
        message: `${what}; the delete was finished on ${host.name}`,
      };
    }
    let domain: DomainStateName | 'missing';
    try {
      domain = (
        await agentCall(
          'read domain state',
          agent.GET('/v1/domains/{name}/state', {
            params: { path: { name: action.domainName } },
          }),
        )
      ).data.state;
    } catch (e) {
      if (!(e instanceof AgentCallError)) throw e;
      if (e.code !== 'UNKNOWN_DOMAIN')
        return back(`its agent could not be asked: ${e.message}`);
      domain = 'missing';
    }
    const drift = driftOf(action.pendingFrom, domain);
    const state = drift?.state ?? action.pendingFrom;
    return {
      state,
      error: drift?.error ?? null,
      message: `${what}; the agent reports the domain ${domain}, so it is ${state}`,
    };
  }
}
