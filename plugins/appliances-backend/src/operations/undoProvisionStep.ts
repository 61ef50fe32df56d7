import { Instance } from '../instances/InstanceStore';
import { AgentCallError, agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { ProvisionStepName } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';

/** Undoes what one done step left on the host or in the database; a gone host has nothing left to undo. */
export async function undoProvisionStep(
  o: Pick<ProvisionRunnerOptions, 'hosts' | 'agents'>,
  name: ProvisionStepName,
  instance: Instance,
) {
  const agentOf = async () => {
    const host = await o.hosts.get(instance.hostId!);
    if (!host) return undefined;
    return o.agents.forHost(host);
  };
  const ignoring = async (codes: string[], call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (e) {
      if (!(e instanceof AgentCallError && codes.includes(e.code))) throw e;
    }
  };
  const domain = diskNameOf(instance.id);
  switch (name) {
    case 'start':
    case 'define': {
      const agent = await agentOf();
      if (!agent) return;
      await ignoring(
        ['UNKNOWN_DOMAIN', 'DOMAIN_STATE_CONFLICT', 'HTTP_404'],
        () =>
          agentCall(
            'destroy domain',
            agent.POST('/v1/domains/{name}/destroy', {
              params: { path: { name: domain } },
            }),
          ),
      );
      if (name === 'define') {
        await ignoring(['UNKNOWN_DOMAIN', 'HTTP_404'], () =>
          agentCall(
            'undefine domain',
            agent.DELETE('/v1/domains/{name}', {
              params: { path: { name: domain } },
            }),
          ),
        );
      }
      return;
    }
    case 'create-disk': {
      const agent = await agentOf();
      if (!agent) return;
      await ignoring(['UNKNOWN_DISK', 'HTTP_404'], () =>
        agentCall(
          'remove disk',
          agent.DELETE('/v1/disks/{name}', {
            params: { path: { name: domain } },
          }),
        ),
      );
      return;
    }
    case 'reserve-capacity':
      await o.hosts.release(instance.hostId!, instance.size);
      return;
    // Installed images are shared layers other instances use; placing does nothing to undo; publish is last.
    default:
      return;
  }
}
