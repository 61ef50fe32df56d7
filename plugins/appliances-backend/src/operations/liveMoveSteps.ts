import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Host } from '../hosts/HostStore';
import { Instance } from '../instances/InstanceStore';
import { agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { domainSpecOf } from './defineDomain';
import { averageSpeed, followAgentJob } from './followAgentJob';
import { Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';

type Peer = { hostId: string; certificateFingerprint256: string };

/**
 * Gets the destination ready to receive the running domain from the source
 * (the peer): the domain keeps its network, so its guest keeps its address,
 * and a host that does not offer that network cannot take it.
 */
export async function receiveDomain(
  host: Host,
  agent: AgentClient,
  instance: Instance,
  source: Peer,
): Promise<{
  incomingId: string;
  domain: string;
  network: string;
  hostName: string;
}> {
  const domain = diskNameOf(instance.id);
  if (!instance.mac || !instance.network)
    throw new StepError(
      `Instance ${instance.hostname} has no network recorded; stop it to move it`,
    );
  const { data: info } = await agentCall(
    'read host info',
    agent.GET('/v1/info'),
  );
  if (!(info.networks ?? []).some(n => n.name === instance.network))
    throw new StepError(
      `${host.name} does not offer the network ${instance.network} that the running ${instance.hostname} is attached to; stop the instance to move it to another network`,
    );
  const { data } = await agentCall(
    'get ready to receive the running domain',
    agent.POST('/v1/domains/{name}/incoming', {
      params: { path: { name: domain } },
      body: {
        spec: domainSpecOf(instance, instance.network),
        peer: source,
        ttlSeconds: 3600,
        // The guest keeps its addresses; the destination's DHCP learns of them only when it renews.
        ...(instance.addresses.length
          ? {
              addresses: [{ mac: instance.mac, addresses: instance.addresses }],
            }
          : {}),
      },
    }),
  );
  return {
    incomingId: data.id,
    domain,
    network: instance.network,
    hostName: host.name,
  };
}

/**
 * Starts (or, resumed, follows) the source's live migration of the domain to
 * the destination and follows it to the end, recording bytes, speed and
 * heartbeats on the live-move step. Done means the guest runs on the
 * destination; a failure leaves it running on the source.
 */
export async function moveLive(
  o: ProvisionRunnerOptions,
  pollMs: number,
  op: Operation,
  move: {
    source: Host;
    agent: AgentClient;
    destination: Peer & { agentUrl: string; hostName: string };
    domain: string;
    incomingId: string;
    migrationId?: string;
  },
) {
  const { source, agent, destination, domain } = move;
  let migrationId = move.migrationId;
  const detail = () => ({
    migrationId,
    from: source.name,
    to: destination.hostName,
  });
  if (!migrationId) {
    const { data } = await agentCall(
      `move ${domain} to ${destination.hostName} while it runs`,
      agent.POST('/v1/domains/{name}/migrations', {
        params: { path: { name: domain } },
        body: {
          destination: {
            agentUrl: destination.agentUrl,
            hostId: destination.hostId,
            certificateFingerprint256: destination.certificateFingerprint256,
            incomingId: move.incomingId,
          },
        },
      }),
    );
    migrationId = data.id;
    // Recorded at once, so a resumed or reverted operation finds the migration.
    await o.operations.updateStep(op.id, 'live-move', { detail: detail() });
  }
  const id = migrationId;
  const data = await followAgentJob(o, pollMs, op, 'live-move', {
    read: async () =>
      (
        await agentCall(
          'live migration progress',
          agent.GET('/v1/domains/{name}/migrations/{id}', {
            params: { path: { name: domain, id } },
          }),
        )
      ).data,
    running: 'migrating',
    succeeded: 'succeeded',
    doing: `moving the running instance to ${destination.hostName}`,
    hostName: source.name,
    detail: detail(),
  });
  const speed = averageSpeed(data);
  await o.operations.updateStep(op.id, 'live-move', {
    state: 'done',
    progress: 1,
    detail: {
      ...detail(),
      bytesDone: data.bytesDone,
      bytesTotal: data.bytesTotal,
      ...(speed !== undefined ? { speedBytesPerSecond: speed } : {}),
      ...(data.downtimeMs !== null && data.downtimeMs !== undefined
        ? { downtimeMs: data.downtimeMs }
        : {}),
    },
  });
}
