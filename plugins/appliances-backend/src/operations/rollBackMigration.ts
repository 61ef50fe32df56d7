import { recordMoveReverted } from '../instances/recordMove';
import { agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { UndoPending } from './UndoPending';
import {
  abandonIncoming,
  cancelLiveMove,
  ignoring,
  removeDisk,
  undefineDomain,
  withdrawExport,
} from './migrationCalls';
import { MigrationRequest, destinationOf } from './runMigrationStep';

/**
 * Reverts a migration that failed before its commit, last step first: the
 * domain and the pulled disk on the destination, the export on the source,
 * the destination's reservation; then the instance returns to the state it
 * left, on its source host, one version on. A step that cannot be undone
 * yet (its host unreachable) leaves the operation rolling back, retried later.
 */
export async function rollBackMigration(
  o: ProvisionRunnerOptions,
  op: Operation,
  lease?: { assertHeld(): void },
): Promise<'reverted' | 'roll-forward'> {
  const { operations, instances } = o;
  const request = await operations.request<MigrationRequest>(op.id);
  const instance = (await instances.get(op.instanceId))!;
  const disk = diskNameOf(instance.id);
  const destination = destinationOf(op);
  const agentOf = async (hostId: string | undefined) => {
    const host = hostId ? await o.hosts.get(hostId) : undefined;
    return host ? o.agents.forHost(host) : undefined;
  };
  for (const step of [...op.steps].reverse()) {
    if (step.state !== 'done' && step.state !== 'failed') continue;
    lease?.assertHeld();
    try {
      switch (step.name) {
        case 'live-move': {
          const agent = await agentOf(request.sourceHostId);
          const migrationId = step.detail?.migrationId as string | undefined;
          if (agent && migrationId) {
            const ended = await cancelLiveMove(agent, disk, migrationId);
            // It finished just as the backend gave up on it: the guest runs on the destination.
            if (ended === 'succeeded') return rollForward(o, op, 'live-move');
          }
          break;
        }
        case 'receive': {
          const agent = await agentOf(destination);
          const incomingId = step.detail?.incomingId as string | undefined;
          if (agent && incomingId) {
            const arrived = await abandonIncoming(agent, disk, incomingId);
            if (arrived) return rollForward(o, op, 'live-move');
          }
          break;
        }
        case 'define': {
          const agent = await agentOf(destination);
          if (agent) await undefineDomain(agent, disk, 'destination');
          break;
        }
        case 'transfer': {
          const agent = await agentOf(destination);
          const importId = step.detail?.importId as string | undefined;
          if (agent && importId) {
            await ignoring(['NOT_FOUND', 'HTTP_404'], () =>
              agentCall(
                'cancel the transfer',
                agent.DELETE('/v1/imports/{id}', {
                  params: { path: { id: importId } },
                }),
              ),
            );
            await removeDisk(agent, disk, 'destination');
          }
          break;
        }
        case 'export': {
          const agent = await agentOf(request.sourceHostId);
          const exportId = step.detail?.exportId as string | undefined;
          if (agent && exportId) await withdrawExport(agent, disk, exportId);
          break;
        }
        case 'reserve-capacity':
          if (step.state === 'done' && destination)
            await o.hosts.release(destination, instance.size);
          break;
        default:
          break;
      }
    } catch (e) {
      const message = `undo of ${step.name} failed: ${(e as Error).message}`;
      await operations.updateStep(op.id, step.name, { error: message });
      throw new UndoPending(message);
    }
    if (step.state === 'done')
      await operations.updateStep(op.id, step.name, { state: 'undone' });
  }
  lease?.assertHeld();
  const error = op.error ?? 'the move failed';
  const source = await o.hosts.get(request.sourceHostId);
  await o.db.transaction(async trx => {
    const version = await recordMoveReverted(trx, instance.id, {
      operationId: op.id,
      state: request.fromState,
    });
    await o.events?.record(
      {
        instanceId: instance.id,
        actor: op.requestedBy,
        kind: 'migrate',
        action: 'migrate',
        fromState: 'migrating',
        toState: request.fromState,
        ...(version !== undefined ? { version } : {}),
        outcome: 'failed',
        message: `${error}; the instance stays on ${source?.name ?? request.sourceHostId}`,
      },
      trx,
    );
  });
  await operations.setState(op.id, 'failed');
  const event = await o.auditor.createEvent({
    eventId: 'instance-migration-reverted',
    severityLevel: 'medium',
    meta: {
      instanceId: instance.id,
      operationId: op.id,
      failedStep: op.failedStep ?? null,
    },
  });
  await event.fail({ error: new Error(error) });
  return 'reverted';
}

/**
 * A live move that reached the destination after all cannot be undone: its
 * step is recorded done and the operation goes forward (commit, clean-up).
 */
async function rollForward(
  o: ProvisionRunnerOptions,
  op: Operation,
  step: 'live-move',
): Promise<'roll-forward'> {
  await o.operations.updateStep(op.id, step, {
    state: 'done',
    progress: 1,
    error: null,
  });
  await o.operations.setState(op.id, 'running');
  o.logger.info(
    `Operation ${op.id}: the running instance reached the destination; the move goes on instead of reverting`,
  );
  return 'roll-forward';
}
