import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { ConditionTransformer } from '@backstage/plugin-permission-node';
import { Request } from 'express';
import { InstanceQuery } from '../permissions/instanceRules';

/** What a caller may see or do among instances: all of them, or those the criteria select. */
export type InstanceAccess = {
  credentials: BackstageCredentials;
  /** The user's entity ref; for services, `service:<subject>`. */
  principalRef: string;
  /** Undefined when the decision is an unconditional allow. */
  criteria?: PermissionCriteria<InstanceQuery>;
};

export type InstanceAccessDeps = {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  transformConditions: ConditionTransformer<InstanceQuery>;
};

type Decision = { criteria?: PermissionCriteria<InstanceQuery> } | 'deny';

const DECISION_TTL_MS = 5_000;
const MAX_CACHED = 10_000;
const caches = new WeakMap<
  object,
  Map<string, { decisions: Decision[]; expires: number }>
>();

/**
 * Asks the policy for conditional decisions on instance permissions and turns
 * the conditions (IS_OWNER, IS_ON_HOST_OWNED_BY) into database criteria, so
 * lists and look-ups are filtered in SQL. One call answers several
 * permissions; a token's answers are reused for a few seconds.
 */
export async function instanceAccess(
  deps: InstanceAccessDeps,
  req: Request<any, any, any, any>,
  permissions: ResourcePermission[],
): Promise<{
  credentials: BackstageCredentials;
  principalRef: string;
  decisions: Decision[];
}> {
  const credentials = await deps.httpAuth.credentials(req, {
    allow: ['user', 'service'],
  });
  const principalRef =
    credentials.principal.type === 'user'
      ? (credentials.principal as { userEntityRef: string }).userEntityRef
      : `service:${(credentials.principal as { subject: string }).subject}`;
  const token = req.header('authorization') ?? '';
  const key = `${permissions.map(p => p.name).join(',')} ${token}`;
  let cache = caches.get(deps.permissions);
  if (!cache) {
    cache = new Map();
    caches.set(deps.permissions, cache);
  }
  const now = Date.now();
  const hit = token ? cache.get(key) : undefined;
  if (hit && hit.expires > now)
    return { credentials, principalRef, decisions: hit.decisions };

  const answers = await deps.permissions.authorizeConditional(
    permissions.map(permission => ({ permission })),
    { credentials },
  );
  const decisions: Decision[] = answers.map(answer => {
    if (answer.result === AuthorizeResult.CONDITIONAL) {
      return { criteria: deps.transformConditions(answer.conditions) };
    }
    return answer.result === AuthorizeResult.ALLOW ? {} : 'deny';
  });
  if (token) {
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, { decisions, expires: now + DECISION_TTL_MS });
  }
  return { credentials, principalRef, decisions };
}

/** One permission: throws NotAllowed on a plain deny. */
export async function requireInstanceAccess(
  deps: InstanceAccessDeps,
  req: Request<any, any, any, any>,
  permission: ResourcePermission,
  refusal: string,
): Promise<InstanceAccess> {
  const { credentials, principalRef, decisions } = await instanceAccess(
    deps,
    req,
    [permission],
  );
  const [decision] = decisions;
  if (decision === 'deny') throw new NotAllowedError(refusal);
  return { credentials, principalRef, criteria: decision.criteria };
}
