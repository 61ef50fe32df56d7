import { Knex } from 'knex';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import { formatMoney } from '@tempest/backstage-plugin-appliances-common';

type Row = {
  id: string;
  owner: string;
  currency: string;
  balance_minor: number | string;
  low_balance_since_ms: number | string;
};

/**
 * Tells the owners of accounts that fell below the low-balance threshold,
 * through Backstage notifications: once per crossing (the task marks an
 * account when it falls below and clears the mark when it is topped up
 * above), and again on the next tick if telling them failed.
 */
export class LowBalanceNotifier {
  constructor(
    private readonly db: Knex,
    private readonly notifications: Pick<NotificationService, 'send'>,
    private readonly options: {
      thresholdMinor: number;
      /** Whether provisioning is refused at zero, to say so. */
      refusesAtZero: boolean;
    },
  ) {}

  /** Sends what is due; returns the owners told. */
  async notifyPending(now: number): Promise<string[]> {
    const due: Row[] = await this.db('billing_accounts')
      .whereNotNull('low_balance_since_ms')
      .whereNull('low_balance_notified_ms')
      .select(
        'id',
        'owner',
        'currency',
        'balance_minor',
        'low_balance_since_ms',
      );
    const told: string[] = [];
    const failed: string[] = [];
    for (const row of due) {
      try {
        await this.notify(row, now);
        told.push(row.owner);
      } catch (e) {
        failed.push(`${row.owner}: ${e}`);
      }
    }
    if (failed.length) {
      throw new Error(
        `Could not tell the owners of ${failed.length} low accounts (the next tick tries again): ${failed.join('; ')}`,
      );
    }
    return told;
  }

  private async notify(row: Row, now: number) {
    const balance = Number(row.balance_minor);
    const money = (minor: number) => formatMoney(minor, row.currency);
    const atZero = balance <= 0;
    await this.notifications.send({
      recipients: { type: 'entity', entityRef: row.owner },
      payload: {
        title: atZero
          ? `The account of ${row.owner} is at ${money(balance)}`
          : `The account of ${row.owner} is low: ${money(balance)}`,
        description: [
          `Its balance fell below ${money(this.options.thresholdMinor)}.`,
          atZero && this.options.refusesAtZero
            ? 'New instances billed to it are refused until it is topped up.'
            : '',
          'Ask an admin to top it up (the "Top up account" template).',
        ]
          .filter(Boolean)
          .join(' '),
        link: '/appliances/costs',
        severity: atZero ? 'high' : 'normal',
        topic: 'tempest-low-balance',
        // One notification per account, brought back up on a new crossing.
        scope: `tempest-low-balance:${row.id}`,
      },
    });
    // Only this crossing: a top-up and a new fall since set another mark.
    await this.db('billing_accounts')
      .where({ id: row.id, low_balance_since_ms: row.low_balance_since_ms })
      .whereNull('low_balance_notified_ms')
      .update({ low_balance_notified_ms: now });
  }
}
