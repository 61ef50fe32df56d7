import { randomUUID } from 'node:crypto';
import { AgentCallError } from './agentCall';
import {
  MigrationStepName,
  Operation,
  ProvisionStepName,
  StepName,
} from './OperationStore';
import { LeaseLost, OperationLease } from './OperationLease';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { rollBackMigration } from './rollBackMigration';
import { rollBackProvision } from './rollBackProvision';
import { runMigrationStep } from './runMigrationStep';
import { runProvisionStep } from './runProvisionStep';
import { StepError } from './StepError';
import { UndoPending } from './UndoPending';

export type { ProvisionRunnerOptions } from './ProvisionRunnerOptions';

/** A step after a live move failed: the operation stays running and is resumed later. */
class GoesForward extends Error {}

/** Whether a live move already put the guest on its destination (no way back). */
const pastLiveMove = (op: Operation | undefined) =>
  !!op?.steps.some(s => s.name === 'live-move' && s.state === 'done');

/**
 * Drives operations step by step, recording each in the database so that a
 * restart resumes where it stopped; a failure undoes the done steps in
 * reverse. Provisioning: place → reserve capacity → power the host on if it
 * is off → install and verify image layers → create disk and seed → define →
 * start → publish. Migration: see MIGRATION_STEPS.
 */
export class ProvisionRunner {
  readonly runnerId = randomUUID();
  private readonly running = new Map<string, Promise<void>>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private stopped = false;
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly o: ProvisionRunnerOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.pollMs = o.pollMs ?? 200;
  }

  /** Starts driving an operation in the background unless this process already is. */
  kick(operationId: string): Promise<void> {
    let run = this.running.get(operationId);
    if (!run) {
      run = this.slot()
        .then(release => this.drive(operationId).finally(release))
        .catch(e =>
          this.o.logger.error(`Operation ${operationId} stopped: ${e}`),
        )
        .finally(() => this.running.delete(operationId));
      this.running.set(operationId, run);
    }
    return run;
  }

  /** Waits for a free slot so accepting requests is never starved by running operations. */
  private async slot(): Promise<() => void> {
    const limit = this.o.concurrency ?? 8;
    if (this.active >= limit)
      await new Promise<void>(resolve => this.waiting.push(resolve));
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }

  /** Picks up every unfinished operation no live runner holds (at start-up and on a schedule). */
  async resumeOrphaned(): Promise<string[]> {
    const ids = await this.o.operations.listOrphaned();
    for (const id of ids) void this.kick(id);
    return ids;
  }

  /** Waits for the operations this process drives (tests and shutdown). */
  async idle() {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  stop() {
    this.stopped = true;
  }

  private async drive(id: string) {
    const { operations } = this.o;
    const lease = await OperationLease.take({
      operations,
      logger: this.o.logger,
      id,
      owner: this.runnerId,
      ttlMs: this.leaseMs,
    });
    if (!lease) return;
    try {
      const op = (await operations.get(id))!;
      if (op.state === 'pending' || op.state === 'running') {
        if (op.state === 'pending') await operations.setState(id, 'running');
        const failure = await this.forward({ ...op, state: 'running' }, lease);
        if (!failure) return;
        lease.assertHeld();
        if (pastLiveMove(await operations.get(id)))
          throw new GoesForward(`${failure.step} failed: ${failure.message}`);
        await operations.setState(id, 'rolling-back', {
          failedStep: failure.step,
          error: `${failure.step} failed: ${failure.message}`,
        });
      }
      const failed = (await operations.get(id))!;
      if (failed.kind === 'migrate') {
        if (
          (await rollBackMigration(this.o, failed, lease)) === 'roll-forward'
        ) {
          const failure = await this.forward(
            (await operations.get(id))!,
            lease,
          );
          if (failure)
            throw new GoesForward(`${failure.step} failed: ${failure.message}`);
        }
      } else await rollBackProvision(this.o, failed, lease);
    } catch (e) {
      // Lost leases are logged when they are lost.
      if (e instanceof LeaseLost) return;
      if (e instanceof GoesForward) {
        this.o.logger.warn(
          `Operation ${id}: the instance already runs on its new host, so the move is retried, not reverted: ${e.message}`,
        );
        return;
      }
      if (!(e instanceof UndoPending)) throw e;
      this.o.logger.warn(`Rollback of ${id} is waiting: ${e.message}`);
    } finally {
      await lease.release();
    }
  }

  /** Runs the steps not yet done; returns the failure, if any. */
  private async forward(
    started: Operation,
    lease: Pick<OperationLease, 'assertHeld'>,
  ): Promise<{ step: StepName; message: string } | undefined> {
    const { operations, instances } = this.o;
    let op = started;
    let instance = (await instances.get(op.instanceId))!;
    for (let i = 0; i < op.steps.length; i++) {
      const step = op.steps[i];
      if (step.state === 'done') continue;
      await this.o.pacer?.turn();
      if (this.stopped) throw new UndoPending('runner stopped');
      lease.assertHeld();
      await operations.updateStep(op.id, step.name, {
        state: 'running',
        error: null,
      });
      try {
        const result =
          op.kind === 'migrate'
            ? await runMigrationStep(
                this.o,
                this.pollMs,
                op,
                step.name as MigrationStepName,
                instance,
              )
            : await runProvisionStep(
                this.o,
                this.pollMs,
                op,
                step.name as ProvisionStepName,
                instance,
              );
        if (result === 'replace') {
          // Capacity went to another operation between place and reserve.
          i = -1;
          op = (await operations.get(op.id))!;
          continue;
        }
      } catch (e) {
        const message =
          e instanceof StepError || e instanceof AgentCallError
            ? e.message
            : String(e);
        await operations.updateStep(op.id, step.name, {
          state: 'failed',
          error: message,
        });
        this.o.logger.warn(
          `Operation ${op.id}: ${step.name} failed: ${message}`,
        );
        return { step: step.name, message };
      }
      // Later steps read what place and install-images recorded, and the host and domain set on the instance.
      if (
        op.kind === 'migrate' ||
        step.name === 'place' ||
        step.name === 'install-images'
      )
        op = (await operations.get(op.id))!;
      if (step.name === 'reserve-capacity' || step.name === 'define')
        instance = (await instances.get(op.instanceId))!;
    }
    await operations.setState(op.id, 'succeeded');
    return undefined;
  }
}
