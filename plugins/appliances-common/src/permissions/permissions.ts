import { createPermission } from '@backstage/plugin-permission-common';

/** Subscribe, remove and refresh appliance channels (admins). */
export const channelManagePermission = createPermission({
  name: 'appliances.channel.manage',
  attributes: { action: 'update' },
});

/** Read channels and the appliances they publish. */
export const applianceReadPermission = createPermission({
  name: 'appliances.appliance.read',
  attributes: { action: 'read' },
});

/** See hosts: providers their own, admins all. */
export const hostReadPermission = createPermission({
  name: 'appliances.host.read',
  attributes: { action: 'read' },
});

/** Register hosts, change their prices, put them in maintenance (providers, on their own hosts). */
export const hostManagePermission = createPermission({
  name: 'appliances.host.manage',
  attributes: { action: 'update' },
});

/** Power a host on, off or cycle it through its BMC (providers, on their own hosts). */
export const hostPowerPermission = createPermission({
  name: 'appliances.host.power',
  attributes: { action: 'update' },
});

/** The resource type of instances, for conditional decisions (IS_OWNER, IS_ON_HOST_OWNED_BY). */
export const APPLIANCE_INSTANCE_RESOURCE_TYPE = 'appliance-instance';

/** Provision an instance (buyers). */
export const instanceCreatePermission = createPermission({
  name: 'appliances.instance.create',
  attributes: { action: 'create' },
});

/**
 * See instances, their operations and events: buyers their own and their
 * groups', providers those on their hosts, admins all. A resource
 * permission: the policy answers with conditions the backend turns into a
 * database filter.
 */
export const instanceReadPermission = createPermission({
  name: 'appliances.instance.read',
  attributes: { action: 'read' },
  resourceType: APPLIANCE_INSTANCE_RESOURCE_TYPE,
});

/** Power actions (start, stop, suspend, resume, retry) on an instance. */
export const instanceUpdatePermission = createPermission({
  name: 'appliances.instance.update',
  attributes: { action: 'update' },
  resourceType: APPLIANCE_INSTANCE_RESOURCE_TYPE,
});

/** Delete an instance (its domain and disk go with it). */
export const instanceDeletePermission = createPermission({
  name: 'appliances.instance.delete',
  attributes: { action: 'delete' },
  resourceType: APPLIANCE_INSTANCE_RESOURCE_TYPE,
});

/**
 * Open an instance's console (its display and serial log): owners and
 * admins, not the provider of its host.
 */
export const instanceConsolePermission = createPermission({
  name: 'appliances.instance.console',
  attributes: { action: 'update' },
  resourceType: APPLIANCE_INSTANCE_RESOURCE_TYPE,
});

/**
 * Act on every host and instance regardless of owner (admins). Without it a
 * caller sees and changes only what one of its ownership refs owns.
 */
export const appliancesAdminPermission = createPermission({
  name: 'appliances.admin',
  attributes: { action: 'update' },
});

/** See accounts and their ledgers: buyers and providers their own and their groups', admins all. */
export const accountReadPermission = createPermission({
  name: 'appliances.account.read',
  attributes: { action: 'read' },
});

/** Credit an account (admins). */
export const accountTopUpPermission = createPermission({
  name: 'appliances.account.topup',
  attributes: { action: 'update' },
});

/** Reverse a ledger transaction with a reason (admins). */
export const accountReversePermission = createPermission({
  name: 'appliances.account.reverse',
  attributes: { action: 'update' },
});

export const appliancesPermissions = [
  channelManagePermission,
  applianceReadPermission,
  hostReadPermission,
  hostManagePermission,
  hostPowerPermission,
  instanceCreatePermission,
  instanceReadPermission,
  instanceUpdatePermission,
  instanceDeletePermission,
  instanceConsolePermission,
  appliancesAdminPermission,
  accountReadPermission,
  accountTopUpPermission,
  accountReversePermission,
];

/** The instance permissions, registered with the instance resource type. */
export const instancePermissions = [
  instanceReadPermission,
  instanceUpdatePermission,
  instanceDeletePermission,
  instanceConsolePermission,
];

/** The permission an instance action needs: delete for delete, update for the rest. */
export function instanceActionPermission(action: string) {
  return action === 'delete'
    ? instanceDeletePermission
    : instanceUpdatePermission;
}
