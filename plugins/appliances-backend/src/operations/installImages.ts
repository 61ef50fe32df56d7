import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { Host } from '../hosts/HostStore';
import { Instance } from '../instances/InstanceStore';
import { ImageLayer } from './ImageLayers';
import { installLayer } from './installLayer';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';

/**
 * Installs and verifies every image layer of the instance's appliance on a
 * host, reporting on the operation's install-images step; answers what was
 * installed. Layers already there are only verified.
 */
export async function installImages(
  o: ProvisionRunnerOptions,
  pollMs: number,
  operationId: string,
  host: Host,
  agent: AgentClient,
  instance: Instance,
): Promise<Record<string, unknown>[]> {
  const appliance = await o.appliances.get(instance.applianceId);
  if (!appliance)
    throw new StepError(
      `Appliance ${instance.applianceId} is no longer subscribed`,
    );
  let layers: ImageLayer[];
  try {
    layers = await o.layers.layersFor(appliance);
  } catch (e) {
    throw new StepError((e as Error).message);
  }
  const installed: Record<string, unknown>[] = [];
  for (let i = 0; i < layers.length; i++) {
    installed.push(
      await installLayer(
        o,
        pollMs,
        operationId,
        agent,
        host,
        layers[i],
        i,
        layers.length,
        installed,
      ),
    );
  }
  return installed;
}
