import type { AgentApiSchemas } from '../api/apiTypes';
import { AgentError } from '../errors/AgentError';

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
