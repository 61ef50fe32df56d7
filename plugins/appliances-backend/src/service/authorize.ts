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

/**
 * Checks a permission for the caller (a user, or another backend plugin
 * calling with a service token) and returns its credentials.
 */
export async function authorize(
  deps: { httpAuth: HttpAuthService; permissions: PermissionsService },
  req: Request<any, any, any, any>,
  permission: BasicPermission,
  allow: Array<'user' | 'service'>,
  refusal: string,
): Promise<BackstageCredentials> {
  const credentials = await deps.httpAuth.credentials(req, { allow });
  const [decision] = await deps.permissions.authorize([{ permission }], {
    credentials,
  });
  if (decision.result !== AuthorizeResult.ALLOW)
    throw new NotAllowedError(refusal);
  return credentials;
}
