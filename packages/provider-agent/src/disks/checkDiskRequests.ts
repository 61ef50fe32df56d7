import type { AgentApiSchemas } from '../api/apiTypes';
import { AgentError } from '../errors/AgentError';
import type { SeedConfig } from '../seed/SeedBuilder';
import { validateSeedConfig } from '../seed/seedFiles';
import { validateName, validateVersion } from '../validation/names';
import type { DiskRecord } from './InstanceDisks';

const VOLUME_ROLES = ['swap', 'user', 'data'] as const;

/** An instance disk's size, when one is asked for: 1 GiB to 64 TiB. */
export function checkDiskSize(sizeGiB: number | undefined) {
  if (
    sizeGiB !== undefined &&
    !(Number.isInteger(sizeGiB) && sizeGiB > 0 && sizeGiB <= 65536)
  ) {
    throw new AgentError(
      'INVALID_REQUEST',
      'sizeGiB must be a whole number from 1 to 65536',
    );
  }
}

/** A blank volume's role and size: 1 MiB to 16 TiB. */
export function checkVolumeRequest(request: AgentApiSchemas['VolumeRequest']) {
  if (!VOLUME_ROLES.includes(request?.role))
    throw new AgentError(
      'INVALID_REQUEST',
      `role must be one of ${VOLUME_ROLES.join(', ')}`,
    );
  if (
    !Number.isInteger(request.sizeMiB) ||
    request.sizeMiB < 1 ||
    request.sizeMiB > 16 * 1024 * 1024
  )
    throw new AgentError(
      'INVALID_REQUEST',
      'sizeMiB must be a whole number from 1 to 16777216',
    );
}

/**
 * The names, volumes and seed of a disk record another agent exported,
 * checked before any of it names a file here; a live export must give the
 * instance layer's virtual size (its writable layers are made here empty).
 */
export function checkImportedRecord(
  name: string,
  source: DiskRecord,
  live?: { instanceVirtualSizeBytes: number },
) {
  validateName(name, 'disk name');
  const applianceName = validateName(source.appliance?.name, 'appliance name');
  const version = validateVersion(source.appliance?.version);
  const deployment = validateName(source.deployment, 'deployment name');
  const volumes = (source.volumes ?? []).map(v => {
    if (live) checkVolumeRequest({ role: v.role, sizeMiB: v.sizeMiB });
    return { ...v, name: validateName(v.name, 'volume name') };
  });
  if (
    live &&
    !(
      Number.isSafeInteger(live.instanceVirtualSizeBytes) &&
      live.instanceVirtualSizeBytes > 0
    )
  )
    throw new AgentError(
      'TRANSFER_FAILED',
      "The live export's disk.json gives no virtual size for the instance layer",
    );
  const seed: SeedConfig | undefined =
    source.seed && validateSeedConfig({ ...source.seed, instanceId: name });
  return { applianceName, version, deployment, volumes, seed };
}
