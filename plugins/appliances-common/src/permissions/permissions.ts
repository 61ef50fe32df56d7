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

export const appliancesPermissions = [
  channelManagePermission,
  applianceReadPermission,
];
