import {
  InstanceAction,
  InstanceState,
  LockedPrice,
  PlacementDecision,
  ResourceDemand,
} from '@tempest/backstage-plugin-appliances-common';

/** An instance as the API shows it. */
export type Instance = {
  id: string;
  hostname: string;
  owner: string;
  applianceId: string;
  hostId?: string;
  requestedHostId?: string;
  maxPricePerHourMinor?: number;
  /** The entity whose account pays for it. */
  costCenter?: string;
  size: ResourceDemand;
  state: InstanceState;
  version: number;
  price?: LockedPrice & { pricePerHourMinor: number; lockedAt: string };
  placement?: PlacementDecision;
  domainName?: string;
  /** The MAC of its NIC, issued by Tempest when it was requested. */
  mac?: string;
  /** The host network its NIC is on. */
  network?: string;
  /** IPv4/IPv6 addresses its agent last reported on the NIC. */
  addresses: string[];
  /** Its appliance's webpanel with the instance's first address filled in. */
  webpanelUrl?: string;
  /** The values it was provisioned with (the guest's seed); secret variables by name only. */
  domain?: string;
  sshAuthorizedKeys: string[];
  variables: Record<string, string>;
  secretVariables: string[];
  operationId?: string;
  error?: string;
  /** The action running through the agent; others wait until it ends. */
  pendingAction?: InstanceAction;
  /** When the instance last entered `started`. */
  startedAt?: string;
  createdAt: string;
  updatedAt: string;
};

/** An action whose process stopped renewing it, with the state it started from. */
export type InterruptedAction = Instance & {
  pendingAction: InstanceAction;
  pendingFrom: InstanceState;
};
