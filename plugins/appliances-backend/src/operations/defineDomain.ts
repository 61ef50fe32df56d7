import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Host } from '../hosts/HostStore';
import { Instance } from '../instances/InstanceStore';
import { AgentCallError, agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { StepError } from './StepError';

/**
 * Defines the instance's domain on a host over its disk, on the instance's
 * network or else the host's first (its default, agent config `networks`);
 * a moved instance whose network the new host lacks takes the default. A domain of that name left by an interrupted
 * run is adopted only if it is this instance's.
 */
export async function defineDomain(
  host: Host,
  agent: AgentClient,
  instance: Instance,
  options: { networkMayChange?: boolean } = {},
): Promise<{ domain: string; network: string }> {
  const domainName = diskNameOf(instance.id);
  if (!instance.mac)
    throw new StepError(
      `Instance ${instance.hostname} has no MAC address; it was requested before instances had networks`,
    );
  const { data: info } = await agentCall(
    'read host info',
    agent.GET('/v1/info'),
  );
  const offered = (info.networks ?? []).map(n => n.name);
  const network =
    instance.network &&
    (offered.includes(instance.network) || !options.networkMayChange)
      ? instance.network
      : offered[0];
  if (!network)
    throw new StepError(
      `${host.name} offers no network to attach ${instance.hostname} to; its agent configuration needs a networks entry`,
    );
  try {
    await agentCall(
      'define domain',
      agent.PUT('/v1/domains/{name}', {
        params: { path: { name: domainName } },
        body: domainSpecOf(instance, network),
      }),
    );
  } catch (e) {
    if (!(e instanceof AgentCallError && e.code === 'DOMAIN_EXISTS')) throw e;
    const { data: domain } = await agentCall(
      'read domain',
      agent.GET('/v1/domains/{name}', {
        params: { path: { name: domainName } },
      }),
    );
    if (
      domain.spec.disk !== domainName ||
      domain.spec.vcpus !== instance.size.cpuCores ||
      domain.spec.memoryMiB !== instance.size.memoryMb ||
      domain.spec.nics?.[0]?.mac !== instance.mac
    ) {
      throw new StepError(
        `A domain named ${domainName} already exists on ${host.name} and is not this instance's`,
      );
    }
  }
  return { domain: domainName, network };
}

/** The agent's domain spec of an instance on one of its host's networks. */
export function domainSpecOf(instance: Instance, network: string) {
  const name = diskNameOf(instance.id);
  return {
    vcpus: instance.size.cpuCores,
    memoryMiB: instance.size.memoryMb,
    disk: name,
    nics: [{ network, mac: instance.mac! }],
  };
}
