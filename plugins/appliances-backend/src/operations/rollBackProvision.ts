import { Operation, ProvisionStepName } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { UndoPending } from './UndoPending';
import { undoProvisionStep } from './undoProvisionStep';

/** Undoes every done (or failed) step, last first, then marks the instance and operation failed. */
export async function rollBackProvision(
  o: ProvisionRunnerOptions,
  op: Operation,
  lease?: { assertHeld(): void },
) {
  const { operations, instances } = o;
  const instance = (await instances.get(op.instanceId))!;
  for (const step of [...op.steps].reverse()) {
    // Agent calls either happen or not, so a failed step left nothing behind,
    // except a start that failed after the domain (defined by an earlier step) began to run.
    if (
      step.state !== 'done' &&
      !(step.state === 'failed' && step.name === 'start')
    )
      continue;
    lease?.assertHeld();
    try {
      await undoProvisionStep(o, step.name as ProvisionStepName, instance);
    } catch (e) {
      const message = `undo of ${step.name} failed: ${(e as Error).message}`;
      await operations.updateStep(op.id, step.name, { error: message });
      throw new UndoPending(message);
    }
    if (step.state === 'done')
      await operations.updateStep(op.id, step.name, { state: 'undone' });
  }
  lease?.assertHeld();
  const error = op.error ?? 'provisioning failed';
  await instances.transition(instance.id, 'error', {
    error,
    releaseHostname: true,
  });
  await o.events?.record({
    instanceId: instance.id,
    actor: op.requestedBy,
    kind: 'provision',
    fromState: instance.state,
    toState: 'error',
    version: instance.version + 1,
    outcome: 'failed',
    message: error,
  });
  await operations.setState(op.id, 'failed');
  const event = await o.auditor.createEvent({
    eventId: 'instance-provision-rolled-back',
    severityLevel: 'medium',
    meta: {
      instanceId: instance.id,
      operationId: op.id,
      failedStep: op.failedStep ?? null,
    },
  });
  await event.fail({ error: new Error(error) });
}
