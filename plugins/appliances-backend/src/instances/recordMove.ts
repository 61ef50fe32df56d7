import { Knex } from 'knex';
import { InstanceState } from '@tempest/backstage-plugin-appliances-common';

/**
 * Commits a migration on the instance's row: its new host, domain and
 * network, back to the state it left, one version on, its addresses
 * forgotten until the new host reports them. False unless the
 * instance was still migrating at the version the move claimed.
 */
export async function recordMove(
  trx: Knex,
  id: string,
  move: {
    claimedVersion: number;
    hostId: string;
    domainName: string;
    network: string;
    state: InstanceState;
  },
): Promise<boolean> {
  const n = await trx('instances')
    .where({ id, state: 'migrating', version: move.claimedVersion })
    .update({
      host_id: move.hostId,
      domain_name: move.domainName,
      network: move.network,
      state: move.state,
      version: move.claimedVersion + 1,
      error: null,
      // The old addresses were leased on the old host's network.
      addresses: null,
      addresses_at: null,
      updated_at: new Date(),
    });
  return n === 1;
}

/** Undoes a migration's claim: the instance is back in the state it left, on its host, one version on. */
export async function recordMoveReverted(
  trx: Knex,
  id: string,
  move: { claimedVersion: number; state: InstanceState },
): Promise<void> {
  await trx('instances')
    .where({ id, state: 'migrating' })
    .update({
      state: move.state,
      version: move.claimedVersion + 1,
      updated_at: new Date(),
    });
}
