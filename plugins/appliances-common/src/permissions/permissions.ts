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

/** Provision an instance (buyers). */
export const instanceCreatePermission = createPermission({
  name: 'appliances.instance.create',
  attributes: { action: 'create' },
});

/** See instances and their operations: buyers their own, admins all. */
export const instanceReadPermission = createPermission({
  name: 'appliances.instance.read',
  attributes: { action: 'read' },
});

/**
 * Act on every host and instance regardless of owner (admins). Without it a
 * caller sees and changes only what one of its ownership refs owns.
 */
export const appliancesAdminPermission = createPermission({
  name: 'appliances.admin',
  attributes: { action: 'update' },
});

export const appliancesPermissions = [
  channelManagePermission,
  applianceReadPermission,
  hostReadPermission,
  hostManagePermission,
  instanceCreatePermission,
  instanceReadPermission,
  appliancesAdminPermission,
];
