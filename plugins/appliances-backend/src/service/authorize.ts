import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import { Request } from 'express';

const DECISION_TTL_MS = 5_000;
const MAX_CACHED = 10_000;
const caches = new WeakMap<
  object,
  Map<string, { allowed: boolean; expires: number }>
>();

/**
 * Checks a permission for the caller (a user, or another backend plugin
 * calling with a service token) and returns its credentials. The token is
 * verified on every request; the policy's answer (a call to the permission
 * backend) is reused for the same token and permission for a few seconds,
 * as callerScope and instanceAccess do.
 */
export async function authorize(
  deps: { httpAuth: HttpAuthService; permissions: PermissionsService },
  req: Request<any, any, any, any>,
  permission: BasicPermission,
  allow: Array<'user' | 'service'>,
  refusal: string,
): Promise<BackstageCredentials> {
  const credentials = await deps.httpAuth.credentials(req, { allow });
  const token = req.header('authorization') ?? '';
  const key = `${permission.name} ${token}`;
  let cache = caches.get(deps.permissions);
  if (!cache) {
    cache = new Map();
    caches.set(deps.permissions, cache);
  }
  const now = Date.now();
  const hit = token ? cache.get(key) : undefined;
  let allowed: boolean;
  if (hit && hit.expires > now) {
    allowed = hit.allowed;
  } else {
    const [decision] = await deps.permissions.authorize([{ permission }], {
      credentials,
    });
    allowed = decision.result === AuthorizeResult.ALLOW;
    if (token) {
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, { allowed, expires: now + DECISION_TTL_MS });
    }
  }
  if (!allowed) throw new NotAllowedError(refusal);
  return credentials;
}
