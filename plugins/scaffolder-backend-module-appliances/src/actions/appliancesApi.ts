import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import { ActionError } from './actionError';

export type AppliancesApiDeps = {
  discovery: DiscoveryService;
  auth: AuthService;
  fetch?: typeof fetch;
};

/**
 * Calls the appliances backend on behalf of the user who started the task
 * (so ownership and permissions are theirs, not the scaffolder's).
 */
export async function callAppliances<T>(
  deps: AppliancesApiDeps,
  ctx: Pick<ActionContext<any, any>, 'getInitiatorCredentials'>,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<T> {
  const base = await deps.discovery.getBaseUrl('appliances');
  const { token } = await deps.auth.getPluginRequestToken({
    onBehalfOf: await ctx.getInitiatorCredentials(),
    targetPluginId: 'appliances',
  });
  let res: Response;
  try {
    res = await (deps.fetch ?? fetch)(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.body !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
        ...options.headers,
      },
      body:
        options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
  } catch (e) {
    throw new ActionError(
      `The Tempest appliances backend did not answer (${(e as Error).message}); try again shortly`,
    );
  }
  if (!res.ok) {
    const error = await ResponseError.fromResponse(res);
    // The backend's message says what is wrong with the request, as a sentence.
    throw new ActionError(
      error.body?.error?.message ??
        `The Tempest appliances backend answered ${res.status}`,
    );
  }
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** `resource:default/sample.webserv.1.1.0` → `sample.webserv.1.1.0`; a bare id passes through. */
export function applianceIdOf(refOrId: string): string {
  const match = /^(?:[a-z]+:)?(?:[^/]+\/)?([^:/]+)$/i.exec(refOrId.trim());
  if (!match)
    throw new ActionError(
      `'${refOrId}' is neither an appliance's entity ref nor its id`,
    );
  return match[1];
}
