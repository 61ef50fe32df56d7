import { InstanceState } from '@tempest/backstage-plugin-appliances-common';
import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Knex } from 'knex';
import { Host } from '../hosts/HostStore';
import { Instance } from '../instances/InstanceStore';
import { recordMove } from '../instances/recordMove';
import { agentCall } from './agentCall';
import { averageSpeed, followAgentJob } from './followAgentJob';
import { moveLive, receiveDomain } from './liveMoveSteps';
import { removeDisk, undefineDomain, withdrawExport } from './migrationCalls';
import { defineDomain } from './defineDomain';
import { diskNameOf } from './diskNameOf';
import { installImages } from './installImages';
import { migrationPlacement } from './migrationPlacement';
import { MigrationStepName, Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';
import { assertHostUsable } from './usableHostOf';

/** What a migrate action stores on its operation. */
export type MigrationRequest = {
  /** The state the instance left for `migrating`, and returns to. */
  fromState: InstanceState;
  sourceHostId: string;
  /** The version the claim gave the instance (the row is guarded by its operation, not this). */
  claimedVersion: number;
  /** The host the caller asked for, if any. */
  hostId?: string;
};

const detailOf = (op: Operation, name: MigrationStepName) =>
  op.steps.find(s => s.name === name)?.detail ?? {};

/** The destination the operation reserved, once it has. */
export const destinationOf = (op: Operation): string | undefined =>
  detailOf(op, 'reserve-capacity').hostId as string | undefined;

async function usable(
  o: ProvisionRunnerOptions,
  hostId: string,
): Promise<{ host: Host; agent: AgentClient }> {
  const host = await assertHostUsable(o, hostId);
  return { host, agent: o.agents.forHost(host) };
}

function fingerprintOf(host: Host): string {
  if (!host.agentCertificateFingerprint)
    throw new StepError(`Host ${host.name} has not enrolled its agent`);
  return host.agentCertificateFingerprint;
}

/**
 * Runs one migration step and records it done (Virtuoso's VMMP: QUERY is
 * the place step, REQ the export and transfer, HEARTBEATs the transfer's
 * progress, RESP the commit). Until the commit the instance stays on its
 * source host; a failure before it is reverted by rollBackMigration.
 */
export async function runMigrationStep(
  o: ProvisionRunnerOptions,
  pollMs: number,
  op: Operation,
  name: MigrationStepName,
  instance: Instance,
): Promise<'done' | 'replace'> {
  const { operations } = o;
  const request = await operations.request<MigrationRequest>(op.id);
  const disk = diskNameOf(instance.id);
  const done = (detail: Record<string, unknown>, trx?: Knex) =>
    operations.updateStep(
      op.id,
      name,
      { state: 'done', progress: 1, detail },
      trx,
    );

  switch (name) {
    case 'place': {
      // The claim made it migrating: where it may go depends on the state it left.
      const decision = await migrationPlacement(
        o.hosts,
        { ...instance, state: request.fromState },
        {
          hostId: request.hostId,
          currency: o.currency,
        },
      );
      if (!decision.chosen) throw new StepError(decision.summary);
      await done({ decision });
      return 'done';
    }
    case 'reserve-capacity': {
      const chosen = (detailOf(op, 'place').decision as any).chosen as {
        hostId: string;
        hostName: string;
      };
      const reserved = await o.db.transaction(async trx => {
        if (!(await o.hosts.reserve(chosen.hostId, instance.size, trx)))
          return false;
        await done(
          {
            hostId: chosen.hostId,
            hostName: chosen.hostName,
            reserved: instance.size,
          },
          trx,
        );
        return true;
      });
      if (!reserved)
        throw new StepError(
          `${chosen.hostName} filled up before capacity could be reserved for the move`,
        );
      return 'done';
    }
    case 'install-images': {
      const { host, agent } = await usable(o, destinationOf(op)!);
      const layers = await installImages(
        o,
        pollMs,
        op.id,
        host,
        agent,
        instance,
      );
      await done({ layers });
      return 'done';
    }
    case 'export': {
      const { agent } = await usable(o, request.sourceHostId);
      const destination = await assertHostUsable(o, destinationOf(op)!);
      const { data } = await agentCall(
        `export disk ${disk}`,
        agent.POST('/v1/disks/{name}/exports', {
          params: { path: { name: disk } },
          body: {
            peer: {
              hostId: destination.id,
              certificateFingerprint256: fingerprintOf(destination),
            },
            // The longest an export may stay open: a big disk takes a while.
            ttlSeconds: 3600,
            // A running guest's writable layers travel with its memory (live-move).
            ...(request.fromState === 'started' ? { live: true } : {}),
          },
        }),
      );
      await done({
        exportId: data.id,
        totalBytes: data.totalBytes,
        files: data.files.length,
      });
      return 'done';
    }
    case 'transfer': {
      const source = await assertHostUsable(o, request.sourceHostId);
      const { host, agent } = await usable(o, destinationOf(op)!);
      let importId = detailOf(op, 'transfer').importId as string | undefined;
      if (!importId) {
        const { data } = await agentCall(
          `pull disk ${disk} from ${source.name}`,
          agent.POST('/v1/imports', {
            body: {
              disk,
              source: {
                agentUrl: source.agentUrl!,
                hostId: source.id,
                certificateFingerprint256: fingerprintOf(source),
                exportId: detailOf(op, 'export').exportId as string,
              },
            },
          }),
        );
        importId = data.id;
        // Recorded at once, so a resumed or reverted operation finds the transfer.
        await operations.updateStep(op.id, 'transfer', {
          detail: { importId, from: source.name, to: host.name },
        });
      }
      await followTransfer(o, pollMs, op, agent, host, importId, source.name);
      return 'done';
    }
    case 'define': {
      const { host, agent } = await usable(o, destinationOf(op)!);
      const { domain, network } = await defineDomain(host, agent, instance, {
        networkMayChange: true,
      });
      await done({ domain, network, hostName: host.name });
      return 'done';
    }
    case 'receive': {
      const source = await assertHostUsable(o, request.sourceHostId);
      const { host, agent } = await usable(o, destinationOf(op)!);
      await done(
        await receiveDomain(host, agent, instance, {
          hostId: source.id,
          certificateFingerprint256: fingerprintOf(source),
        }),
      );
      return 'done';
    }
    case 'live-move': {
      const { host: source, agent } = await usable(o, request.sourceHostId);
      const destination = await assertHostUsable(o, destinationOf(op)!);
      await moveLive(o, pollMs, op, {
        source,
        agent,
        destination: {
          agentUrl: destination.agentUrl!,
          hostId: destination.id,
          hostName: destination.name,
          certificateFingerprint256: fingerprintOf(destination),
        },
        domain: disk,
        incomingId: detailOf(op, 'receive').incomingId as string,
        migrationId: detailOf(op, 'live-move').migrationId as
          string | undefined,
      });
      return 'done';
    }
    case 'commit': {
      const destination = destinationOf(op)!;
      // Where the domain now is: defined there (a stopped move) or received live.
      const { domain, network, hostName } = detailOf(
        op,
        request.fromState === 'started' ? 'receive' : 'define',
      ) as { domain: string; network: string; hostName: string };
      await o.db.transaction(async trx => {
        const version = await recordMove(trx, instance.id, {
          operationId: op.id,
          hostId: destination,
          domainName: domain,
          network,
          state: request.fromState,
          live: request.fromState === 'started',
        });
        if (version === undefined)
          throw new StepError(
            `Instance ${instance.hostname} is no longer being moved by this operation; the move is reverted`,
          );
        await o.hosts.release(request.sourceHostId, instance.size, trx);
        await o.events?.record(
          {
            instanceId: instance.id,
            actor: op.requestedBy,
            kind: 'migrate',
            action: 'migrate',
            fromState: 'migrating',
            toState: request.fromState,
            version,
            outcome: 'succeeded',
            message: `Moved to ${hostName}`,
          },
          trx,
        );
        await done({ hostId: destination }, trx);
      });
      const event = await o.auditor.createEvent({
        eventId: 'instance-migrated',
        severityLevel: 'medium',
        meta: {
          instanceId: instance.id,
          operationId: op.id,
          fromHostId: request.sourceHostId,
          toHostId: destination,
        },
      });
      await event.success();
      return 'done';
    }
    case 'clean-up': {
      // The move is committed: what is left on the source is only garbage,
      // so a source that cannot be reached is recorded, never a failure.
      const leftBehind = await cleanSource(o, request.sourceHostId, disk, op);
      await done(leftBehind ? { leftBehind } : {});
      if (leftBehind) o.logger.warn(`Operation ${op.id}: ${leftBehind}`);
      return 'done';
    }
    default:
      throw new StepError(`Unknown step ${name}`);
  }
}

/**
 * Follows the destination's import until it is done, recording its progress
 * on the transfer step (followAgentJob: a heartbeat that stops fails it and
 * the move is reverted). The finished step keeps the import's average
 * speed: a transfer quicker than one poll never showed one.
 */
async function followTransfer(
  o: ProvisionRunnerOptions,
  pollMs: number,
  op: Operation,
  agent: AgentClient,
  host: Host,
  importId: string,
  sourceName: string,
) {
  const detail = { importId, from: sourceName, to: host.name };
  const data = await followAgentJob(o, pollMs, op, 'transfer', {
    read: async () =>
      (
        await agentCall(
          'transfer progress',
          agent.GET('/v1/imports/{id}', {
            params: { path: { id: importId } },
          }),
        )
      ).data,
    running: 'transferring',
    succeeded: 'done',
    doing: `pulling the disk from ${sourceName}`,
    hostName: host.name,
    detail,
  });
  const speed = averageSpeed(data);
  await o.operations.updateStep(op.id, 'transfer', {
    state: 'done',
    progress: 1,
    detail: {
      ...detail,
      bytesDone: data.bytesDone,
      bytesTotal: data.bytesTotal,
      ...(speed !== undefined ? { speedBytesPerSecond: speed } : {}),
    },
  });
}

/** Removes the instance's domain, disk and export from the source; answers what was left, if anything. */
async function cleanSource(
  o: ProvisionRunnerOptions,
  sourceHostId: string,
  disk: string,
  op: Operation,
): Promise<string | undefined> {
  const source = await o.hosts.get(sourceHostId);
  if (!source) return undefined;
  const agent = o.agents.forHost(source);
  const exportId = detailOf(op, 'export').exportId as string | undefined;
  try {
    await undefineDomain(agent, disk, 'source');
    if (exportId) await withdrawExport(agent, disk, exportId);
    await removeDisk(agent, disk, 'source');
    return undefined;
  } catch (e) {
    return `the old copy on ${source.name} is left behind: ${(e as Error).message}`;
  }
}
