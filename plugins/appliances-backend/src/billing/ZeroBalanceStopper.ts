import { AuditorService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/** Who stops an instance for lack of money, in its history and the audit log. */
export const BILLING_ACTOR = 'system:billing';

export type StoppedForBalance = {
  instanceId: string;
  hostname: string;
  account: string;
  error?: string;
};

/**
 * The zero-balance policy 'stop-after-grace': notes when an account reached
 * zero (or below) and, once the grace period has passed since then, stops
 * the running instances billed to it, cleanly (the usual stop action) and
 * audited. Nothing is deleted; storage goes on being charged. A top-up
 * above zero clears the mark.
 */
export class ZeroBalanceStopper {
  constructor(
    private readonly o: {
      db: Knex;
      graceMs: number;
      /** Stops one instance as `actor` if it still runs (the instance actions). */
      stopInstance: (instanceId: string, actor: string) => Promise<void>;
      auditor: AuditorService;
    },
  ) {}

  async run(now: number): Promise<StoppedForBalance[]> {
    const { db } = this.o;
    const entities = (q: Knex.QueryBuilder) =>
      q.where(w =>
        w.where('owner', 'like', 'user:%').orWhere('owner', 'like', 'group:%'),
      );
    await db('billing_accounts')
      .whereNotNull('zero_balance_since_ms')
      .andWhere('balance_minor', '>', 0)
      .update({ zero_balance_since_ms: null });
    await entities(
      db('billing_accounts')
        .whereNull('zero_balance_since_ms')
        .andWhere('balance_minor', '<=', 0),
    ).update({ zero_balance_since_ms: now });
    const due: Array<{ owner: string; balance_minor: string | number }> =
      await entities(
        db('billing_accounts')
          .whereNotNull('zero_balance_since_ms')
          .andWhere('zero_balance_since_ms', '<=', now - this.o.graceMs)
          .andWhere('balance_minor', '<=', 0),
      ).select('owner', 'balance_minor');
    const stopped: StoppedForBalance[] = [];
    for (const account of due) {
      const running: Array<{ id: string; hostname: string }> = await db(
        'instances',
      )
        .where('state', 'started')
        .andWhere(q =>
          q
            .where('cost_center', account.owner)
            .orWhere(w =>
              w.whereNull('cost_center').andWhere('owner', account.owner),
            ),
        )
        .select('id', 'hostname');
      for (const instance of running) {
        stopped.push(await this.stop(instance, account));
      }
    }
    return stopped;
  }

  private async stop(
    instance: { id: string; hostname: string },
    account: { owner: string; balance_minor: string | number },
  ): Promise<StoppedForBalance> {
    const event = await this.o.auditor.createEvent({
      eventId: 'instance-stop-zero-balance',
      severityLevel: 'medium',
      meta: {
        actor: BILLING_ACTOR,
        instanceId: instance.id,
        hostname: instance.hostname,
        account: account.owner,
        balanceMinor: Number(account.balance_minor),
        graceSeconds: this.o.graceMs / 1000,
      },
    });
    const result = {
      instanceId: instance.id,
      hostname: instance.hostname,
      account: account.owner,
    };
    try {
      await this.o.stopInstance(instance.id, BILLING_ACTOR);
      await event.success();
      return result;
    } catch (error) {
      // Tried again on the next tick while it still runs.
      await event.fail({ error: error as Error });
      return { ...result, error: String(error) };
    }
  }
}
