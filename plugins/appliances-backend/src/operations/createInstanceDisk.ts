import { openVariables } from '../instances/instanceValues';
import { Instance } from '../instances/InstanceStore';
import { AgentCallError, agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';
import { usableHostOf } from './usableHostOf';

/**
 * The create-disk step: the instance disk over its appliance's layers, with
 * the seed that carries the instance's values (hostname, domain, SSH keys,
 * appliance variables, secret ones opened only here).
 */
export async function createInstanceDisk(
  o: ProvisionRunnerOptions,
  op: Operation,
  instance: Instance,
) {
  const { agent } = await usableHostOf(o, instance);
  const appliance = await o.appliances.get(instance.applianceId);
  if (!appliance)
    throw new StepError(
      `Appliance ${instance.applianceId} is no longer subscribed`,
    );
  const layers = op.steps[2].detail!.layers as { kind: string; name: string }[];
  const diskName = diskNameOf(instance.id);
  const applianceImage = layers.find(l => l.kind === 'appliance')!.name;
  let secretVariables: Record<string, string>;
  try {
    secretVariables = openVariables(
      o.secrets,
      instance.id,
      await o.instances.sealedVariables(instance.id),
    );
  } catch (e) {
    throw new StepError(
      `The instance's secret variables cannot be opened: ${(e as Error).message}`,
    );
  }
  const variables = { ...instance.variables, ...secretVariables };
  const seed = {
    hostname: instance.hostname,
    ...(instance.domain ? { domain: instance.domain } : {}),
    ...(instance.sshAuthorizedKeys.length
      ? { sshAuthorizedKeys: instance.sshAuthorizedKeys }
      : {}),
    ...(Object.keys(variables).length ? { variables } : {}),
  };
  try {
    await agentCall(
      'create disk',
      agent.POST('/v1/disks', {
        body: {
          name: diskName,
          appliance: applianceImage,
          sizeGiB: Math.max(1, Math.ceil(instance.size.storageMb / 1024)),
          seed,
        },
      }),
    );
  } catch (e) {
    if (!(e instanceof AgentCallError && e.code === 'DISK_EXISTS')) throw e;
    // Resumed after a crash: adopt the disk only if it is this instance's.
    const { data: disk } = await agentCall(
      'read disk',
      agent.GET('/v1/disks/{name}', {
        params: { path: { name: diskName } },
      }),
    );
    if (disk.appliance.name !== applianceImage) {
      throw new StepError(
        `A disk named ${diskName} already exists on the host and is not this instance's`,
      );
    }
  }
  await o.operations.updateStep(op.id, 'create-disk', {
    state: 'done',
    progress: 1,
    detail: {
      disk: diskName,
      // What the step shows: never a secret value.
      seed: {
        hostname: instance.hostname,
        ...(instance.domain ? { domain: instance.domain } : {}),
        sshAuthorizedKeys: instance.sshAuthorizedKeys.length,
        variables: Object.keys(variables).sort(),
      },
    },
  });
}
