import {
  HostPricing,
  ResourceDemand,
} from '@tempest/backstage-plugin-appliances-common';

export type HostState = 'pending' | 'online' | 'offline' | 'maintenance';

/** A host as the API shows it: never the BMC credentials, never token hashes. */
export type Host = {
  id: string;
  name: string;
  owner: string;
  cpuModel: string;
  coreSpeedMhz: number;
  cpuCores: number;
  memoryMb: number;
  storageMb: number;
  pricing: HostPricing;
  agentUrl: string;
  /** SHA-256 of the certificate issued at enrolment: the only one the backend accepts from this host's agent. */
  agentCertificateFingerprint?: string;
  bmc?: { address: string; hasCredentials: boolean };
  state: HostState;
  poweredOn: boolean;
  /** What the BMC last said, the last reading and any fault (see src/power). */
  power: HostPower;
  used: ResourceDemand;
  enrolledAt?: string;
  enrolmentExpiresAt?: string;
  lastHeartbeatAt?: string;
  createdAt: string;
  updatedAt: string;
};

export type HostPower = {
  state: 'on' | 'off' | 'unknown';
  watts?: number;
  readAt?: string;
  changedAt?: string;
  /** Why the BMC last failed; such a host is left alone by consolidation. */
  bmcFault?: string;
  /** The BMC says on but the agent has been silent since then. */
  agentSilentSince?: string;
  /** Empty (no instances) since then, as the power loop saw it. */
  emptySince?: string;
};
