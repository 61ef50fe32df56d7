import { Knex } from 'knex';
import { createHash, randomUUID } from 'node:crypto';
import {
  LIVE_MIGRATION_STEPS,
  OperationStore,
} from '../operations/OperationStore';
import type { MigrationRequest } from '../operations/runMigrationStep';
import { Instance } from './InstanceStore';

/**
 * Records the migration operation of an instance whose migrate claim this
 * transaction holds, and makes it the instance's operation; answers its id.
 */
export async function startMigration(
  trx: Knex,
  operations: OperationStore,
  claim: {
    instance: Instance;
    actor: string;
    claimedVersion: number;
    hostId?: string;
  },
): Promise<string> {
  const { instance } = claim;
  const id = randomUUID();
  const request: MigrationRequest = {
    fromState: instance.state,
    sourceHostId: instance.hostId!,
    claimedVersion: claim.claimedVersion,
    ...(claim.hostId ? { hostId: claim.hostId } : {}),
  };
  await operations.insert(
    trx,
    {
      id,
      kind: 'migrate',
      ...(instance.state === 'started' ? { steps: LIVE_MIGRATION_STEPS } : {}),
      instanceId: instance.id,
      requestedBy: claim.actor,
      requestHash: createHash('sha256')
        .update(JSON.stringify(request))
        .digest('hex'),
      request,
    },
    new Date(),
  );
  await trx('instances')
    .where({ id: instance.id })
    .update({ operation_id: id });
  return id;
}
