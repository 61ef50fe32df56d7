import { InstanceAction } from '@tempest/backstage-plugin-appliances-common';
import {
  type AgentClient,
  agentCallTimeout,
} from '@tempest/backstage-plugin-appliances-common/agent';
import { HostStore } from '../hosts/HostStore';
import { AgentCallError, agentCall } from '../operations/agentCall';
import { OperationStore } from '../operations/OperationStore';
import { diskNameOf } from '../operations/diskNameOf';
import { Instance } from './InstanceStore';

/** What a stop's call allows the agent beyond the guest's shutdown time: destroying it and answering. */
export const STOP_CALL_MARGIN_MS = 30_000;

/**
 * Carries out an instance action on its host's agent. A delete is safe to
 * run again: a domain or disk already gone counts as removed. A stop's call
 * lasts as long as the agent waits for the guest to shut down, plus a margin,
 * whatever the client's own timeout.
 */
export async function runActionOnAgent(
  agent: AgentClient,
  instance: Instance,
  action: InstanceAction,
  shutdownTimeoutSeconds: number,
): Promise<void> {
  const name = instance.domainName!;
  const path = { params: { path: { name } } };
  switch (action) {
    case 'start':
      await agentCall(
        'start domain',
        agent.POST('/v1/domains/{name}/start', path),
      );
      return;
    case 'stop':
      await agentCall(
        'shut down domain',
        agent.POST('/v1/domains/{name}/shutdown', {
          ...path,
          body: { timeoutSeconds: shutdownTimeoutSeconds },
          headers: agentCallTimeout(
            shutdownTimeoutSeconds * 1000 + STOP_CALL_MARGIN_MS,
          ),
        }),
      );
      return;
    case 'suspend':
      await agentCall(
        'suspend domain',
        agent.POST('/v1/domains/{name}/suspend', path),
      );
      return;
    case 'resume':
      await agentCall(
        'resume domain',
        agent.POST('/v1/domains/{name}/resume', path),
      );
      return;
    case 'delete': {
      const ignoring = async (
        codes: string[],
        call: () => Promise<unknown>,
      ) => {
        try {
          await call();
        } catch (e) {
          if (!(e instanceof AgentCallError && codes.includes(e.code))) throw e;
        }
      };
      // A stopped domain refuses destroy (not running); a missing one is already gone.
      await ignoring(
        ['UNKNOWN_DOMAIN', 'DOMAIN_STATE_CONFLICT', 'HTTP_404'],
        () =>
          agentCall(
            'destroy domain',
            agent.POST('/v1/domains/{name}/destroy', path),
          ),
      );
      await ignoring(['UNKNOWN_DOMAIN', 'HTTP_404'], () =>
        agentCall('undefine domain', agent.DELETE('/v1/domains/{name}', path)),
      );
      await ignoring(['UNKNOWN_DISK', 'HTTP_404'], () =>
        agentCall(
          'remove disk',
          agent.DELETE('/v1/disks/{name}', {
            params: { path: { name: diskNameOf(instance.id) } },
          }),
        ),
      );
      return;
    }
    default:
      throw new Error(`No agent call for ${action}`);
  }
}

/** Gives the host back a deleted instance's capacity unless a rollback already did. */
export async function releaseCapacity(
  hosts: Pick<HostStore, 'release'>,
  operations: Pick<OperationStore, 'get'>,
  instance: Instance,
) {
  if (!instance.hostId) return;
  const operation = instance.operationId
    ? await operations.get(instance.operationId)
    : undefined;
  if (operation?.state === 'failed') return;
  await hosts.release(instance.hostId, instance.size);
}
