import { createHash, randomBytes } from 'node:crypto';
import { Knex } from 'knex';

export interface ConsoleTicket {
  ticket: string;
  expiresAt: Date;
}

export interface RedeemedTicket {
  instanceId: string;
  principalRef: string;
}

const hash = (ticket: string) =>
  createHash('sha256').update(ticket).digest('hex');

/**
 * Short-lived, single-use console tickets in the database, so any replica
 * can redeem a ticket another one issued, and none can redeem it twice.
 */
export class ConsoleTicketStore {
  constructor(
    private readonly db: Knex,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async issue(
    instanceId: string,
    principalRef: string,
    ttlMs: number,
  ): Promise<ConsoleTicket> {
    const ticket = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    // Tickets past their time open nothing: cleared as new ones are issued.
    await this.db('console_tickets')
      .where('expires_at', '<', new Date(now.getTime() - 60_000))
      .delete();
    await this.db('console_tickets').insert({
      ticket_hash: hash(ticket),
      instance_id: instanceId,
      principal_ref: principalRef,
      expires_at: expiresAt,
    });
    return { ticket, expiresAt };
  }

  /**
   * Marks the ticket used and says whom and what it was for; undefined for
   * a ticket that is unknown, used or expired. One UPDATE decides, so two
   * replicas racing with the same ticket cannot both win.
   */
  async redeem(ticket: string): Promise<RedeemedTicket | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(ticket)) return undefined;
    const now = this.now();
    const ticketHash = hash(ticket);
    const claimed = await this.db('console_tickets')
      .where({ ticket_hash: ticketHash })
      .whereNull('used_at')
      .where('expires_at', '>', now)
      .update({ used_at: now });
    if (claimed !== 1) return undefined;
    const row = await this.db('console_tickets')
      .where({ ticket_hash: ticketHash })
      .first();
    return row
      ? { instanceId: row.instance_id, principalRef: row.principal_ref }
      : undefined;
  }
}
