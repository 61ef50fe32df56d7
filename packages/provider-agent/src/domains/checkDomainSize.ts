import type { AgentApiSchemas } from '../api/apiTypes';
import { AgentError } from '../errors/AgentError';

/** Refuses vCPU and memory counts libvirt would not take. */
export function checkDomainSize(spec: AgentApiSchemas['DomainSpec']) {
  if (!Number.isInteger(spec?.vcpus) || spec.vcpus < 1 || spec.vcpus > 256) {
    throw new AgentError(
      'INVALID_REQUEST',
      'vcpus must be a whole number from 1 to 256',
    );
  }
  if (
    !Number.isInteger(spec.memoryMiB) ||
    spec.memoryMiB < 16 ||
    spec.memoryMiB > 4 * 1024 * 1024
  ) {
    throw new AgentError(
      'INVALID_REQUEST',
      'memoryMiB must be a whole number from 16 to 4194304',
    );
  }
}
