import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  APPLIANCE_INSTANCE_RESOURCE_TYPE,
  accountReversePermission,
  accountTopUpPermission,
  appliancesAdminPermission,
  channelManagePermission,
  hostManagePermission,
  hostPowerPermission,
  instanceCreatePermission,
  instanceReadPermission,
} from '@tempest/backstage-plugin-appliances-common';
import {
  createInstanceConditionalDecision,
  instanceConditions,
} from '@tempest/backstage-plugin-appliances-backend';
import { createCatalogConditionalDecision } from '@backstage/plugin-catalog-backend/alpha';
import { TempestRoles, rolesOf } from './readTempestRoles';
import { tempestEntityConditions } from './catalogEntityConditions';

const ALLOW: PolicyDecision = { result: AuthorizeResult.ALLOW };
const DENY: PolicyDecision = { result: AuthorizeResult.DENY };

/**
 * Tempest's policy, roles from `tempest.roles`:
 * - admins may do everything;
 * - buyers provision instances and see and act on their own and their groups';
 * - providers register, manage and power their own hosts and see the instances on them;
 * - channel management, top-ups, ledger reversals and the all-seeing admin
 *   permission are for admins only;
 * - catalog entities of hosts and instances follow the same rules (see
 *   tempestEntityConditions); every other entity is for everyone.
 * Instance decisions are conditional (IS_OWNER, IS_ON_HOST_OWNED_BY) so the
 * appliances backend filters lists in its database.
 */
export class TempestPermissionPolicy implements PermissionPolicy {
  constructor(private readonly roles: TempestRoles) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    const refs = user?.info.ownershipEntityRefs ?? [];
    const held = rolesOf(this.roles, refs);
    if (held.has('admin')) return ALLOW;
    if (
      isPermission(permission, channelManagePermission) ||
      isPermission(permission, appliancesAdminPermission) ||
      isPermission(permission, accountTopUpPermission) ||
      isPermission(permission, accountReversePermission)
    ) {
      return DENY;
    }
    // Other backend plugins (the catalog module) call without a user.
    if (!user) return ALLOW;

    // Hosts and instances in the catalog are seen by those the API shows them to.
    if (isResourcePermission(permission, 'catalog-entity')) {
      return createCatalogConditionalDecision(
        permission,
        tempestEntityConditions(permission, refs, held.has('provider')),
      );
    }

    if (isResourcePermission(permission, APPLIANCE_INSTANCE_RESOURCE_TYPE)) {
      const own = instanceConditions.isOwner({ owners: refs });
      if (
        isPermission(permission, instanceReadPermission) &&
        held.has('provider')
      ) {
        return createInstanceConditionalDecision(permission, {
          anyOf: [own, instanceConditions.isOnHostOwnedBy({ owners: refs })],
        });
      }
      // Read, update, delete and console: buyers (and anyone else) only their own; a provider does not get into guests on its hosts.
      return createInstanceConditionalDecision(permission, own);
    }
    if (isPermission(permission, instanceCreatePermission))
      return held.has('buyer') ? ALLOW : DENY;
    if (
      isPermission(permission, hostManagePermission) ||
      isPermission(permission, hostPowerPermission)
    )
      return held.has('provider') ? ALLOW : DENY;
    // Host reads are filtered to the caller's own hosts by the backend.
    return ALLOW;
  }
}
