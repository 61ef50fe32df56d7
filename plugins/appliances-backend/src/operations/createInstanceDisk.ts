import { openVariables } from '../instances/instanceValues';
import { Instance } from '../instances/InstanceStore';
import { AgentCallError, agentCall } from './agentCall';
import { diskNameOf } from './diskNameOf';
import { Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';
import { usableHostOf } from './usableHostOf';

const BLANK_DISK_TYPES = ['swap', 'user', 'data'] as const;

/**
 * The create-disk step: the instance disk over its appliance's layers, with
 * the seed that carries the instance's values (hostname, domain, SSH keys,
 * appliance variables, secret ones opened only here), then a blank volume of
 * its declared size for each swap, user and data disk of the appliance's
 * hardware, reporting progress disk by disk. Volumes go with the instance
 * disk when it is removed (rollback, delete).
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
  const layers = op.steps.find(s => s.name === 'install-images')!.detail!
    .layers as { kind: string; name: string }[];
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
  const volumes = (appliance.disks ?? []).flatMap(d =>
    d.sizeMb && BLANK_DISK_TYPES.includes(d.type as 'swap')
      ? [
          {
            name: d.name,
            role: d.type as (typeof BLANK_DISK_TYPES)[number],
            sizeMiB: d.sizeMb,
          },
        ]
      : [],
  );
  // The instance's storage covers its blank disks too (minimumSize); the instance disk gets the rest.
  const volumesMb = volumes.reduce((sum, v) => sum + v.sizeMiB, 0);
  const sizeGiB = Math.max(
    1,
    Math.ceil((instance.size.storageMb - volumesMb) / 1024),
  );
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
          sizeGiB,
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
  // What the step shows: never a secret value.
  const detail = {
    disk: diskName,
    sizeGiB,
    seed: {
      hostname: instance.hostname,
      ...(instance.domain ? { domain: instance.domain } : {}),
      sshAuthorizedKeys: instance.sshAuthorizedKeys.length,
      variables: Object.keys(variables).sort(),
    },
  };
  const created: typeof volumes = [];
  const report = (extra: Record<string, unknown> = {}) =>
    o.operations.updateStep(op.id, 'create-disk', {
      progress: (1 + created.length) / (1 + volumes.length),
      detail: { ...detail, volumes: created, ...extra },
    });
  await report();
  for (const volume of volumes) {
    await report({ current: volume });
    // The same volume again is answered as it is: a resumed step carries on.
    await agentCall(
      `create ${volume.role} disk ${volume.name} of ${volume.sizeMiB} MiB`,
      agent.PUT('/v1/disks/{name}/volumes/{volume}', {
        params: { path: { name: diskName, volume: volume.name } },
        body: { role: volume.role, sizeMiB: volume.sizeMiB },
      }),
    );
    created.push(volume);
  }
  await o.operations.updateStep(op.id, 'create-disk', {
    state: 'done',
    progress: 1,
    detail: { ...detail, volumes: created },
  });
}
