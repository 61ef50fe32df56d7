import {
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import { appliancesAdminPermission } from '@tempest/backstage-plugin-appliances-common';
import { Request } from 'express';

export type CallerScopeDeps = {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
};

/** Who is calling and what they may see: everything (admins, other plugins) or what their refs own. */
export type CallerScope = {
  credentials: BackstageCredentials;
  /** The user's entity ref; for services, `service:<subject>`. */
  principalRef: string;
  all: boolean;
  ownershipRefs: string[];
};

const DECISION_TTL_MS = 5_000;
const MAX_CACHED = 10_000;

/**
 * Checks `permission` and works out the caller's scope. Providers act on
 * their own hosts, buyers on their own instances, admins on all; backend
 * plugins (the catalog module) read all.
 */
export async function callerScope(
  deps: CallerScopeDeps,
  req: Request<any, any, any, any>,
  permission: BasicPermission,
  refusal: string,
  allow: Array<'user' | 'service'> = ['user', 'service'],
): Promise<CallerScope> {
  const credentials = await deps.httpAuth.credentials(req, { allow });
  // Deciding costs two calls to other plugins (permission, user info); the
  // same token asking for the same permission within a few seconds reuses
  // the answer, so a burst of requests does not repeat them.
  const token = req.header('authorization') ?? '';
  const key = `${permission.name} ${token}`;
  const cache = cacheOf(deps);
  const now = Date.now();
  const hit = token ? cache.get(key) : undefined;
  if (hit && hit.expires > now) {
    if (hit.scope instanceof Error) throw hit.scope;
    return { ...hit.scope, credentials };
  }
  let scope: CallerScope | Error;
  try {
    scope = await decide(deps, credentials, permission, refusal);
  } catch (e) {
    if (!(e instanceof NotAllowedError)) throw e;
    scope = e;
  }
  if (token) {
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, { scope, expires: now + DECISION_TTL_MS });
  }
  if (scope instanceof Error) throw scope;
  return scope;
}

const caches = new WeakMap<
  object,
  Map<string, { scope: CallerScope | Error; expires: number }>
>();

function cacheOf(deps: CallerScopeDeps) {
  let cache = caches.get(deps.permissions);
  if (!cache) {
    cache = new Map();
    caches.set(deps.permissions, cache);
  }
  return cache;
}

async function decide(
  deps: CallerScopeDeps,
  credentials: BackstageCredentials,
  permission: BasicPermission,
  refusal: string,
): Promise<CallerScope> {
  const [decision, admin] = await deps.permissions.authorize(
    [{ permission }, { permission: appliancesAdminPermission }],
    { credentials },
  );
  if (decision.result !== AuthorizeResult.ALLOW)
    throw new NotAllowedError(refusal);
  const principal = credentials.principal as { type: string; subject?: string };
  if (principal.type === 'service') {
    return {
      credentials,
      principalRef: `service:${principal.subject}`,
      all: true,
      ownershipRefs: [],
    };
  }
  const user = credentials as BackstageCredentials<BackstageUserPrincipal>;
  const info = await deps.userInfo.getUserInfo(user);
  return {
    credentials,
    principalRef: user.principal.userEntityRef,
    all: admin.result === AuthorizeResult.ALLOW,
    ownershipRefs: info.ownershipEntityRefs,
  };
}

/** Throws NotFound (not 403, so existence does not leak) unless the scope covers `owner`. */
export function assertOwns(scope: CallerScope, owner: string, what: string) {
  if (!scope.all && !scope.ownershipRefs.includes(owner)) {
    throw new NotFoundError(`No ${what}`);
  }
}
