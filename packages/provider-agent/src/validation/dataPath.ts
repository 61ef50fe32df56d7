import path from 'node:path';
import { AgentError } from '../errors/AgentError';

/**
 * Joins segments under a root and proves the result stays inside it, so no
 * value can steer a command or fs call elsewhere.
 */
export function resolveInside(root: string, ...segments: string[]): string {
  const base = path.resolve(root);
  const resolved = path.resolve(base, ...segments);
  assertInside(base, resolved);
  return resolved;
}

export function assertInside(root: string, candidate: string): string {
  const base = path.resolve(root);
  if (!path.isAbsolute(candidate)) {
    throw new AgentError(
      'INVALID_PATH',
      `Path ${JSON.stringify(candidate)} is not absolute`,
    );
  }
  const normal = path.resolve(candidate);
  if (
    normal !== candidate.replace(/\/+$/, '') ||
    !(normal === base || normal.startsWith(base + path.sep))
  ) {
    throw new AgentError(
      'INVALID_PATH',
      `Path ${JSON.stringify(candidate)} is outside the data directory`,
    );
  }
  return normal;
}
