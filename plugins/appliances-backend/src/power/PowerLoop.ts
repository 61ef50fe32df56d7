import { LoggerService } from '@backstage/backend-plugin-api';
import { PowerConsolidator } from './PowerConsolidator';
import { PowerReconciler } from './PowerReconciler';
import { PowerStore } from './PowerStore';

/**
 * The power loop, one scheduled task of its own: read every BMC (reconcile),
 * then consolidate, then drop readings and decisions past their retention.
 */
export class PowerLoop {
  constructor(
    private readonly o: {
      reconciler: PowerReconciler;
      consolidator?: PowerConsolidator;
      store: PowerStore;
      readingsRetentionHours: number;
      decisionsRetentionDays: number;
      logger: LoggerService;
    },
  ) {}

  async tick(now = new Date()) {
    await this.o.reconciler.reconcileAll(now);
    await this.o.consolidator?.consolidate(now);
    await this.o.store.prune(
      new Date(now.getTime() - this.o.readingsRetentionHours * 3_600_000),
      new Date(now.getTime() - this.o.decisionsRetentionDays * 86_400_000),
    );
  }
}
