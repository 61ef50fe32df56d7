import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import type { AgentClient } from '@tempest/backstage-plugin-appliances-common/agent';
import { ApplianceStore } from '../database/ApplianceStore';
import { HostStore } from '../hosts/HostStore';
import { InstanceStore } from '../instances/InstanceStore';
import { InstanceEventStore } from '../instances/InstanceEventStore';
import { ImageLayers } from './ImageLayers';
import { OperationStore } from './OperationStore';
import type { AgentAddress } from '../hosts/AgentConnector';
import type { SecretBox } from '../hosts/SecretBox';
import type { HostPower } from '../power/HostPower';

export type ProvisionRunnerOptions = {
  db: Knex;
  hosts: HostStore;
  instances: InstanceStore;
  operations: OperationStore;
  appliances: Pick<ApplianceStore, 'get'>;
  layers: Pick<ImageLayers, 'layersFor'>;
  agents: { forHost(host: AgentAddress): AgentClient };
  logger: LoggerService;
  auditor: AuditorService;
  leaseMs?: number;
  /** How often download progress is read from the agent. */
  pollMs?: number;
  /** How long the start step waits for the guest's first address (default 120 s). */
  addressWaitMs?: number;
  /** Operations driven at once by this process; the rest wait their turn. */
  concurrency?: number;
  /** Gives requests the right of way: each step waits its turn when the event loop is busy. */
  pacer?: { turn(): Promise<unknown> };
  /** The instances' history: provisioning's end lands there too. */
  events?: Pick<InstanceEventStore, 'record'>;
  /** The installation currency, for the wording of placement decisions. */
  currency?: string;
  /** Opens instances' secret appliance variables for their seeds. */
  secrets?: SecretBox;
  /** Powers a host on when placement chose a powered-off one. */
  power?: Pick<HostPower, 'act'>;
  /** How long the power-on step waits for the host's agent to heartbeat (default 300 s). */
  powerOnTimeoutMs?: number;
  /** How long a migration's transfer may go without a heartbeat before the move is reverted (default 30 s). */
  migrationHeartbeatTimeoutMs?: number;
};
