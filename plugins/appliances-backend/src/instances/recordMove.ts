import { Knex } from 'knex';
import { InstanceState } from '@tempest/backstage-plugin-appliances-common';

/**
 * The row of an instance that the migration `operationId` is moving: while it
 * is migrating nothing else may change it (a settled interrupted claim may
 * have bumped its version, which is why the version is not the guard).
 */
const moving = (trx: Knex, id: string, operationId: string) =>
  trx('instances').where({ id, state: 'migrating', operation_id: operationId });

/** The version a move left the instance at. */
async function versionOf(trx: Knex, id: string): Promise<number> {
  const row = await trx('instances').where({ id }).first('version');
  return Number(row.version);
}

/**
 * Commits a migration on the instance's row: its new host, domain and
 * network, back to the state it left, one version on. A stopped move's
 * addresses are forgotten until the new host reports them; a live move
 * keeps them (the running guest keeps its address). Answers the new
 * version, or undefined unless this operation was still moving the instance.
 */
export async function recordMove(
  trx: Knex,
  id: string,
  move: {
    operationId: string;
    hostId: string;
    domainName: string;
    network: string;
    state: InstanceState;
    /** A live move: the guest kept running, and its addresses with it. */
    live?: boolean;
  },
): Promise<number | undefined> {
  const n = await moving(trx, id, move.operationId).update({
    host_id: move.hostId,
    domain_name: move.domainName,
    network: move.network,
    state: move.state,
    version: trx.raw('version + 1'),
    error: null,
    // A stopped guest's old addresses were leased on the old host's network.
    ...(move.live ? {} : { addresses: null, addresses_at: null }),
    updated_at: new Date(),
  });
  return n === 1 ? versionOf(trx, id) : undefined;
}

/** Undoes a migration's claim: the instance is back in the state it left, on its host, one version on. */
export async function recordMoveReverted(
  trx: Knex,
  id: string,
  move: { operationId: string; state: InstanceState },
): Promise<number | undefined> {
  const n = await moving(trx, id, move.operationId).update({
    state: move.state,
    version: trx.raw('version + 1'),
    updated_at: new Date(),
  });
  return n === 1 ? versionOf(trx, id) : undefined;
}
