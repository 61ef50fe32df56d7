import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  appliancesAdminPermission,
  channelManagePermission,
} from '@tempest/backstage-plugin-appliances-common';
import { TempestRoles, rolesOf } from './readTempestRoles';

/**
 * Tempest's policy: admins may do everything; channel management is for
 * admins only; everything else is open to signed-in users until the lifecycle
 * rules (ownership of instances and hosts) arrive.
 */
export class TempestPermissionPolicy implements PermissionPolicy {
  constructor(private readonly roles: TempestRoles) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const held = rolesOf(this.roles, user?.info.ownershipEntityRefs ?? []);
    if (held.has('admin')) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      isPermission(request.permission, channelManagePermission) ||
      isPermission(request.permission, appliancesAdminPermission)
    ) {
      return { result: AuthorizeResult.DENY };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}
