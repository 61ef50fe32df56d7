import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  InstanceAction,
  allowedActions,
  nextState,
} from '@tempest/backstage-plugin-appliances-common';
import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Host, HostStore } from '../hosts/HostStore';
import { AgentCallError } from '../operations/agentCall';
import { releaseCapacity, runActionOnAgent } from './runActionOnAgent';
import { OperationStore } from '../operations/OperationStore';
import { migrationPlacement } from '../operations/migrationPlacement';
import {
  ActionRefusal,
  InstanceActionConflict,
  InstanceActionUnavailable,
} from './InstanceActionErrors';
import { InstanceEventStore } from './InstanceEventStore';
import { startMigration } from './startMigration';
import { Instance, InstanceStore } from './InstanceStore';
import type { AgentAddress } from '../hosts/AgentConnector';

export type ActionResult = { instance: Instance; operationId?: string };

export type InstanceActionsOptions = {
  db: Knex;
  instances: InstanceStore;
  events: InstanceEventStore;
  hosts: HostStore;
  operations: OperationStore;
  agents: { forHost(host: AgentAddress): AgentClient };
  /** Starts driving a reopened provisioning operation or a new migration. */
  kick(operationId: string): void;
  /** The installation currency, for the wording of placement decisions. */
  currency?: string;
  shutdownTimeoutSeconds: number;
  logger: LoggerService;
  /**
   * How long an action's claim holds unless renewed; renewed every third of
   * it while the agent call runs. When the process dies the claim lapses
   * this long after, and InterruptedActions settles it. Default 15 s.
   */
  actionLeaseMs?: number;
};

/**
 * Runs user actions on instances through the state machine and the agent:
 * claims the transition with a conditional update on the version, asks the
 * agent, and reverts (with the reason) when the agent refuses or fails.
 */
export class InstanceActions {
  private readonly leaseMs: number;
  private readonly renewals = new Set<NodeJS.Timeout>();

  constructor(private readonly o: InstanceActionsOptions) {
    this.leaseMs = o.actionLeaseMs ?? 15_000;
  }

  /** Stops renewing the leases of actions in flight (shutdown): they lapse and are settled from the agent's truth. */
  stop() {
    for (const timer of this.renewals) clearInterval(timer);
    this.renewals.clear();
  }

  /** Runs an agent call while renewing the action's lease. */
  private async holdingLease<T>(
    instanceId: string,
    claimedVersion: number,
    call: () => Promise<T>,
  ): Promise<T> {
    const timer = setInterval(() => {
      this.o.instances
        .renewAction(instanceId, claimedVersion, this.leaseMs)
        .catch((e: unknown) =>
          // The claim then lapses and is settled from the agent's truth.
          this.o.logger.warn(
            `Could not renew the action lease of instance ${instanceId}: ${e}`,
          ),
        );
    }, this.leaseMs / 3);
    this.renewals.add(timer);
    try {
      return await call();
    } finally {
      clearInterval(timer);
      this.renewals.delete(timer);
    }
  }

  private refusal(
    instance: Instance,
    reason: ActionRefusal['reason'],
  ): ActionRefusal {
    return {
      reason,
      currentState: instance.state,
      currentVersion: instance.version,
      allowedActions: instance.pendingAction
        ? []
        : allowedActions(instance.state),
    };
  }

  private async refuse(
    instance: Instance,
    actor: string,
    action: InstanceAction,
    expectedVersion: number,
    error: InstanceActionConflict | InstanceActionUnavailable,
  ): Promise<never> {
    await this.o.events.record({
      instanceId: instance.id,
      actor,
      kind: 'denied',
      action,
      fromState: instance.state,
      version: expectedVersion,
      outcome: 'refused',
      message: error.message,
    });
    throw error;
  }

  async run(
    instance: Instance,
    action: InstanceAction,
    expectedVersion: number,
    actor: string,
    options: { hostId?: string } = {},
  ): Promise<ActionResult> {
    const { instances, events } = this.o;
    const from = instance.state;
    if (expectedVersion !== instance.version) {
      return this.refuse(
        instance,
        actor,
        action,
        expectedVersion,
        new InstanceActionConflict(
          `Instance ${instance.hostname} is at version ${instance.version} (${from}), not ${expectedVersion}: reload and try again`,
          this.refusal(instance, 'stale-version'),
        ),
      );
    }
    if (instance.pendingAction) {
      return this.refuse(
        instance,
        actor,
        action,
        expectedVersion,
        new InstanceActionConflict(
          `Instance ${instance.hostname} is busy with ${instance.pendingAction}`,
          this.refusal(instance, 'action-in-progress'),
        ),
      );
    }
    const to = allowedActions(from).includes(action)
      ? nextState(from, action)
      : undefined;
    if (!to) {
      const allowed = allowedActions(from);
      return this.refuse(
        instance,
        actor,
        action,
        expectedVersion,
        new InstanceActionConflict(
          `Cannot ${action} an instance that is ${from}; allowed: ${allowed.join(', ') || 'none'}`,
          this.refusal(instance, 'forbidden-action'),
        ),
      );
    }

    // Power actions and moves need the domain on its host; deleting an instance that never got one needs no agent.
    const hasDomain = Boolean(instance.hostId && instance.domainName);
    const needsAgent = action !== 'retry' && (action !== 'delete' || hasDomain);
    let host: Host | undefined;
    if (needsAgent) {
      host = hasDomain ? await this.o.hosts.get(instance.hostId!) : undefined;
      // A host without an agent certificate cannot be called: refuse before claiming, so nothing changes.
      let unusable: string | undefined;
      if (!host) unusable = `Host ${instance.hostId} is gone`;
      else if (host.state !== 'online')
        unusable = `Host ${host.name} is ${host.state}`;
      else if (!host.agentCertificateFingerprint)
        unusable = `Host ${host.name} has not enrolled its agent`;
      if (unusable) {
        return this.refuse(
          instance,
          actor,
          action,
          expectedVersion,
          new InstanceActionUnavailable(
            `${unusable}; nothing was changed`,
            this.refusal(instance, 'agent-unavailable'),
          ),
        );
      }
    }

    // A move with nowhere to go is refused before anything changes.
    if (action === 'migrate') {
      const decision = await migrationPlacement(this.o.hosts, instance, {
        hostId: options.hostId,
        currency: this.o.currency,
      });
      if (!decision.chosen) {
        return this.refuse(
          instance,
          actor,
          action,
          expectedVersion,
          new InstanceActionConflict(
            `Cannot move ${instance.hostname}: ${decision.summary}`,
            this.refusal(instance, 'no-destination'),
          ),
        );
      }
    }

    // The state machine's target, or the transitional state (deleting, provisioning) while the work runs.
    const claimed = to;
    const claimedVersion = expectedVersion + 1;
    const claim = {
      expectedVersion,
      from,
      to: claimed,
      action,
      leaseMs: this.leaseMs,
    };
    let won: boolean;
    let migrationId: string | undefined;
    try {
      // A power action's claim is one conditional update; a retry also
      // reopens its operation and a move starts one, so both happen in one transaction.
      if (action === 'migrate') {
        won = await this.o.db.transaction(async trx => {
          const ok = await instances.claimAction(instance.id, claim, trx);
          if (ok)
            migrationId = await startMigration(trx, this.o.operations, {
              instance,
              actor,
              claimedVersion,
              hostId: options.hostId,
            });
          return ok;
        });
      } else if (action === 'retry') {
        won = await this.o.db.transaction(async trx => {
          const ok = await instances.claimAction(
            instance.id,
            { ...claim, hostname: instance.hostname },
            trx,
          );
          if (
            ok &&
            (!instance.operationId ||
              !(await this.o.operations.reopen(instance.operationId, trx)))
          ) {
            throw new InstanceActionConflict(
              `Instance ${instance.hostname} has no failed operation to retry`,
              this.refusal(instance, 'forbidden-action'),
            );
          }
          return ok;
        });
      } else won = await instances.claimAction(instance.id, claim);
    } catch (e) {
      if (e instanceof InstanceActionConflict)
        return this.refuse(instance, actor, action, expectedVersion, e);
      if (/unique|duplicate/i.test(String((e as Error).message))) {
        return this.refuse(
          instance,
          actor,
          action,
          expectedVersion,
          new InstanceActionConflict(
            `The hostname ${instance.hostname} was taken by another instance since this one failed`,
            this.refusal(instance, 'forbidden-action'),
          ),
        );
      }
      throw e;
    }
    if (!won) {
      const current = await instances.get(instance.id);
      if (!current) throw new NotFoundError(`No instance '${instance.id}'`);
      return this.refuse(
        current,
        actor,
        action,
        expectedVersion,
        new InstanceActionConflict(
          `Instance ${instance.hostname} changed meanwhile: it is ${current.state} at version ${current.version}`,
          this.refusal(
            current,
            current.pendingAction ? 'action-in-progress' : 'stale-version',
          ),
        ),
      );
    }
    await events.record({
      instanceId: instance.id,
      actor,
      kind: 'action',
      action,
      fromState: from,
      toState: claimed,
      version: claimedVersion,
      outcome: 'succeeded',
    });

    if (action === 'retry' || action === 'migrate') {
      const operationId = migrationId ?? instance.operationId!;
      await instances.finishAction(instance.id, claimedVersion);
      this.o.kick(operationId);
      return { instance: (await instances.get(instance.id))!, operationId };
    }

    try {
      if (needsAgent) {
        await this.holdingLease(instance.id, claimedVersion, () =>
          runActionOnAgent(
            this.o.agents.forHost(host!),
            instance,
            action,
            this.o.shutdownTimeoutSeconds,
          ),
        );
      }
      if (action === 'delete')
        await releaseCapacity(this.o.hosts, this.o.operations, instance);
    } catch (e) {
      const message =
        e instanceof AgentCallError
          ? e.message
          : `${action} failed: ${(e as Error).message}`;
      await instances.revertAction(instance.id, claimedVersion, from, message);
      const current = (await instances.get(instance.id))!;
      await events.record({
        instanceId: instance.id,
        actor,
        kind: 'action',
        action,
        fromState: claimed,
        toState: from,
        version: current.version,
        outcome: 'failed',
        message,
      });
      const unreachable =
        e instanceof AgentCallError && e.code === 'UNREACHABLE';
      const details = this.refusal(
        current,
        unreachable ? 'agent-unavailable' : 'agent-refused',
      );
      throw unreachable
        ? new InstanceActionUnavailable(
            `${message}; the instance stays ${from}`,
            details,
          )
        : new InstanceActionConflict(
            `The agent refused: ${message}; the instance stays ${from}`,
            details,
          );
    }

    if (action === 'delete') {
      const deleted = await instances.finishAction(
        instance.id,
        claimedVersion,
        'deleted',
      );
      await events.record({
        instanceId: instance.id,
        actor,
        kind: 'action',
        action,
        fromState: claimed,
        toState: 'deleted',
        version: claimedVersion + 1,
        outcome: 'succeeded',
      });
      return { instance: deleted ?? (await instances.get(instance.id))! };
    }
    const finished = await instances.finishAction(instance.id, claimedVersion);
    return { instance: finished ?? (await instances.get(instance.id))! };
  }
}
