import { AgentError } from '../errors/AgentError';

/** Names of images, disks, domains and deployments: safe as a path segment and a libvirt name. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Versions as channels write them (`1.0.0-0`, `2024.1+b2`); never a path separator. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;
/** RFC 1123 host label and dotted domain. */
export const HOSTNAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
export const DOMAIN_PATTERN =
  /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export function validateName(value: unknown, what = 'name'): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new AgentError(
      'INVALID_NAME',
      `Invalid ${what} ${JSON.stringify(value)}: use 1-63 lowercase letters, digits and '-', starting with a letter or digit`,
    );
  }
  return value;
}

export function validateVersion(value: unknown): string {
  if (typeof value !== 'string' || !VERSION_PATTERN.test(value)) {
    throw new AgentError(
      'INVALID_NAME',
      `Invalid version ${JSON.stringify(value)}: use letters, digits and . _ + ~ -, starting with a letter or digit`,
    );
  }
  return value;
}
