import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Host } from '../hosts/HostStore';
import { Instance } from '../instances/InstanceStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';

/** The host, if it still exists and is online; otherwise the step fails. */
export async function assertHostUsable(
  o: Pick<ProvisionRunnerOptions, 'hosts'>,
  hostId: string,
): Promise<Host> {
  const host = await o.hosts.get(hostId);
  if (!host) throw new StepError(`Host ${hostId} no longer exists`);
  if (host.state !== 'online')
    throw new StepError(`Host ${host.name} went ${host.state}`);
  return host;
}

/** The instance's host and an agent client for it, if the host is usable. */
export async function usableHostOf(
  o: Pick<ProvisionRunnerOptions, 'hosts' | 'agents'>,
  instance: Instance,
): Promise<{ host: Host; agent: AgentClient }> {
  const host = await assertHostUsable(o, instance.hostId!);
  return { host, agent: o.agents.forHost(host) };
}
