import { AgentError } from '../errors/AgentError';
import { validateName, validateVersion } from '../validation/names';
import { IMAGE_KINDS, ImageKind } from './ImageKind';
import { InstallImageRequest } from './InstallImageRequest';

/** Refuses an install or upgrade request before any byte moves. */
export function validateInstallRequest(
  kind: ImageKind,
  name: string,
  request: InstallImageRequest,
) {
  if (!IMAGE_KINDS.includes(kind))
    throw new AgentError('INVALID_REQUEST', `Unknown image kind ${kind}`);
  validateName(name, 'image name');
  validateVersion(request.version);
  if (!/^[0-9a-fA-F]{64}$/.test(request.sha256 ?? '')) {
    throw new AgentError('INVALID_REQUEST', 'sha256 must be 64 hex digits');
  }
  if (!request.signature && !request.signatureUrl) {
    throw new AgentError(
      'INVALID_REQUEST',
      'A detached signature (signature or signatureUrl) is required',
    );
  }
  if (!request.publicKeys?.length)
    throw new AgentError(
      'INVALID_REQUEST',
      'At least one public key is required',
    );
  if (kind === 'appliance') validateName(request.os, 'OS image name');
  else if (request.os)
    throw new AgentError(
      'INVALID_REQUEST',
      'Only an appliance image layers on an OS image',
    );
}
