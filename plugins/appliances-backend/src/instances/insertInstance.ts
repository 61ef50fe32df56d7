import { Knex } from 'knex';
import { ResourceDemand } from '@tempest/backstage-plugin-appliances-common';
import { SealedVariables } from './instanceValues';

export type NewInstance = {
  id: string;
  hostname: string;
  owner: string;
  applianceId: string;
  size: ResourceDemand;
  requestedHostId?: string;
  maxPricePerHourMinor?: number;
  /** Entity ref whose account pays (billing); the owner's when absent. */
  costCenter?: string;
  operationId: string;
  /** The appliance's webpanel. */
  webpanel?: string;
  domain?: string;
  sshAuthorizedKeys?: string[];
  variables?: Record<string, string>;
  secretVariables?: SealedVariables;
};

function isMacCollision(e: unknown): boolean {
  const err = e as { constraint?: string; message?: string };
  return (
    err.constraint === 'instances_mac_unique' ||
    /UNIQUE constraint failed: instances\.mac/.test(err.message ?? '')
  );
}

/** Records a requested instance with a MAC of its own (drawn again, within the transaction, while it collides). */
export async function insertInstance(
  trx: Knex,
  input: NewInstance,
  now: Date,
  newMac: () => string,
) {
  for (let attempt = 1; ; attempt++) {
    try {
      // A savepoint: on PostgreSQL a failed insert would spoil the whole transaction.
      await (trx as Knex.Transaction).transaction(sp =>
        insertRow(sp, input, now, newMac()),
      );
      return;
    } catch (e) {
      if (!isMacCollision(e) || attempt >= 8) throw e;
    }
  }
}

async function insertRow(
  trx: Knex,
  input: NewInstance,
  now: Date,
  mac: string,
) {
  await trx('instances').insert({
    id: input.id,
    mac,
    webpanel: input.webpanel ?? null,
    domain: input.domain ?? null,
    ssh_authorized_keys: input.sshAuthorizedKeys?.length
      ? JSON.stringify(input.sshAuthorizedKeys)
      : null,
    variables:
      input.variables && Object.keys(input.variables).length
        ? JSON.stringify(input.variables)
        : null,
    secret_variables: input.secretVariables
      ? JSON.stringify(input.secretVariables)
      : null,
    hostname: input.hostname,
    active_hostname: input.hostname.toLowerCase(),
    owner: input.owner,
    appliance_id: input.applianceId,
    requested_host_id: input.requestedHostId ?? null,
    max_price_per_hour_minor: input.maxPricePerHourMinor ?? null,
    cost_center: input.costCenter ?? null,
    cpu_cores: input.size.cpuCores,
    memory_mb: input.size.memoryMb,
    storage_mb: input.size.storageMb,
    state: 'provisioning',
    version: 1,
    operation_id: input.operationId,
    created_at: now,
    updated_at: now,
  });
}
