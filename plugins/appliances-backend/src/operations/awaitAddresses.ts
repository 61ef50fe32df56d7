import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Instance } from '../instances/InstanceStore';
import { agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';

/**
 * Waits, up to `addressWaitMs`, for the started guest to take an address on
 * its NIC and records it, so the requester learns where the instance is when
 * they learn it exists (STORM configures the network first). A guest slower
 * than that is published without one; the reconciler records it later.
 */
export async function awaitAddresses(
  o: Pick<ProvisionRunnerOptions, 'instances' | 'operations' | 'addressWaitMs'>,
  pollMs: number,
  op: Operation,
  agent: AgentClient,
  instance: Instance,
): Promise<string[]> {
  if (!instance.mac) return [];
  const deadline = Date.now() + (o.addressWaitMs ?? 120_000);
  const name = diskNameOf(instance.id);
  for (;;) {
    const { data: domain } = await agentCall(
      'read domain addresses',
      agent.GET('/v1/domains/{name}', { params: { path: { name } } }),
    );
    const addresses =
      domain.interfaces?.find(i => i.mac === instance.mac)?.addresses ?? [];
    if (addresses.length || Date.now() >= deadline) {
      await o.instances.recordAddresses(instance.id, addresses);
      return addresses;
    }
    await o.operations.updateStep(op.id, 'start', {
      progress: 0.5,
      detail: { domain: name, state: domain.state, waitingFor: 'an address' },
    });
    await new Promise(r => setTimeout(r, Math.max(pollMs, 250)));
  }
}
