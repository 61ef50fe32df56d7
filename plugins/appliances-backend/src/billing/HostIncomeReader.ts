import { Knex } from 'knex';
import { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';

/** A host's income as the API serves it (the spec's HostIncome). */
export type HostIncome = AppliancesApiComponents['schemas']['HostIncome'];

/** A provider's income from its hosts, read from the ledger. */
export class HostIncomeReader {
  constructor(private readonly db: Knex) {}

  /**
   * What the account was credited as the provider (the payee line of charges
   * and of their reversals) per host of the charged instances, most first.
   */
  async incomeByHost(accountId: string): Promise<HostIncome[]> {
    const rows: Array<{
      host_id: string;
      name: string | null;
      income: number | string | null;
      instances: number | string;
    }> = await this.db('billing_postings as p')
      .join('billing_transactions as t', 't.id', 'p.transaction_id')
      .join('instances as i', 'i.id', 't.instance_id')
      .leftJoin('hosts as h', 'h.id', 'i.host_id')
      .where('p.account_id', accountId)
      .where('p.line', 1)
      .whereNotNull('i.host_id')
      .groupBy('i.host_id', 'h.name')
      .select('i.host_id', 'h.name')
      .sum({ income: 'p.amount_minor' })
      .countDistinct({ instances: 't.instance_id' });
    return rows
      .map(r => ({
        hostId: r.host_id,
        hostName: r.name ?? r.host_id,
        instances: Number(r.instances),
        incomeMinor: Number(r.income ?? 0),
      }))
      .sort(
        (a, b) =>
          b.incomeMinor - a.incomeMinor || a.hostName.localeCompare(b.hostName),
      );
  }
}
