import { LoggerService } from '@backstage/backend-plugin-api';
import { OperationStore } from './OperationStore';

/** The runner no longer holds the operation's lease: it must stop driving it. */
export class LeaseLost extends Error {}

/**
 * A runner's lease on one operation, renewed in the background. When a
 * renewal fails or finds another runner holding the lease, that is logged
 * and the lease counts as lost: the runner stops before its next step, and
 * whoever holds the lease (or the orphan sweep) carries the operation on.
 */
export class OperationLease {
  private lost?: string;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly o: {
      operations: Pick<OperationStore, 'lease' | 'releaseLease' | 'get'>;
      logger: LoggerService;
      id: string;
      owner: string;
      ttlMs: number;
    },
  ) {
    this.timer = setInterval(
      () => void this.renew(),
      Math.max(1000, o.ttlMs / 3),
    );
  }

  /** Takes the lease, or answers undefined when another runner holds it. */
  static async take(o: OperationLease['o']) {
    if (!(await o.operations.lease(o.id, o.owner, o.ttlMs))) return undefined;
    return new OperationLease(o);
  }

  /** Throws LeaseLost once a renewal failed or another runner took over. */
  assertHeld() {
    if (this.lost) throw new LeaseLost(this.lost);
  }

  private async renew() {
    const { operations, id, owner, ttlMs } = this.o;
    try {
      if (await operations.lease(id, owner, ttlMs)) return;
      const op = await operations.get(id);
      // A finished operation has no lease to renew.
      if (op?.state === 'succeeded' || op?.state === 'failed') return;
      this.lose('another runner holds its lease now');
    } catch (e) {
      this.lose(`renewing its lease failed: ${e}`);
    }
  }

  private lose(reason: string) {
    if (this.lost) return;
    this.lost = reason;
    clearInterval(this.timer);
    this.o.logger.warn(
      `Operation ${this.o.id}: ${reason}; this runner stops driving it`,
    );
  }

  async release() {
    clearInterval(this.timer);
    if (this.lost) return;
    try {
      await this.o.operations.releaseLease(this.o.id, this.o.owner);
    } catch (e) {
      // The lease then lapses on its own after its time to live.
      this.o.logger.warn(
        `Operation ${this.o.id}: releasing its lease failed: ${e}`,
      );
    }
  }
}
