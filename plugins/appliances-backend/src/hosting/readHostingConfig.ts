import { Config, ConfigReader } from '@backstage/config';
import { readCurrency } from '@tempest/backstage-plugin-appliances-common';
import path from 'node:path';
import { OsImage } from '../operations/ImageLayers';

export type HostingConfig = {
  /** `tempest.currency`: prices are integers of its minor units. */
  currency: string;
  dataDir: string;
  secretKey?: string;
  heartbeatIntervalSeconds: number;
  offlineAfterSeconds: number;
  enrolmentTokenMinutes: number;
  maxImageBytes: number;
  provisioningConcurrency: number;
  addressWaitSeconds: number;
  /** How long a stop waits for the guest's ACPI shutdown before the agent destroys it. */
  shutdownTimeoutSeconds: number;
  /** How often the reconciler compares recorded states with the agents'. */
  reconcileIntervalSeconds: number;
  /** How long a console ticket may wait before it opens a session. */
  consoleTicketSeconds: number;
  osImages: OsImage[];
  osImageDirectory?: string;
  embeddedHosts?: {
    count: number;
    cpus: number;
    memoryMiB: number;
    diskGiB: number;
    runningPeriodSeconds: number;
    storagePeriodSeconds: number;
  };
};

function whole(
  config: Config,
  key: string,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(
      `Invalid config at appliances.${key}: expected a whole number of at least ${min}${max < Number.MAX_SAFE_INTEGER ? ` and at most ${max}` : ''}`,
    );
  }
  return value;
}

/** Reads the hosts, enrolment and provisioning keys of `appliances` (see config.d.ts). */
export function readHostingConfig(root: Config): HostingConfig {
  const config = root.getOptionalConfig('appliances') ?? new ConfigReader({});
  const dataDir = path.resolve(
    config.getOptionalString('dataDir') ?? '.tempest',
  );
  const secretKey = config.getOptionalString('secretKey');
  if (secretKey !== undefined && secretKey.length < 32) {
    throw new Error(
      'Invalid config at appliances.secretKey: expected at least 32 characters',
    );
  }
  const osImages = (config.getOptionalConfigArray('osImages') ?? []).map(c => ({
    ostype: c.getString('ostype'),
    name: c.getString('name'),
    version: c.getString('version'),
    url: c.getString('url'),
    signatureUrl: c.getString('signatureUrl'),
    trustedKeys: c.getStringArray('trustedKeys'),
    sha256: c.getOptionalString('sha256'),
  }));
  for (const os of osImages) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(os.name)) {
      throw new Error(
        `Invalid config at appliances.osImages: name '${os.name}' is not a valid image name`,
      );
    }
  }
  const embedded = config.getOptionalConfig('embeddedHosts');
  // As config.d.ts says; each gets a /16 of its own, 10.77.0.0/16 onwards.
  const count = embedded ? whole(config, 'embeddedHosts.count', 0, 0, 8) : 0;
  return {
    currency: readCurrency(root),
    dataDir,
    secretKey,
    heartbeatIntervalSeconds: whole(
      config,
      'hosts.heartbeatIntervalSeconds',
      10,
    ),
    offlineAfterSeconds: whole(config, 'hosts.offlineAfterSeconds', 45),
    enrolmentTokenMinutes: whole(config, 'hosts.enrolmentTokenMinutes', 60),
    maxImageBytes: whole(config, 'provisioning.maxImageBytes', 8 * 1024 ** 3),
    provisioningConcurrency: whole(config, 'provisioning.concurrency', 8),
    addressWaitSeconds: whole(
      config,
      'provisioning.addressWaitSeconds',
      120,
      0,
    ),
    shutdownTimeoutSeconds: whole(
      config,
      'instances.shutdownTimeoutSeconds',
      60,
    ),
    reconcileIntervalSeconds: whole(
      config,
      'instances.reconcileIntervalSeconds',
      60,
      5,
    ),
    consoleTicketSeconds: Math.min(
      whole(config, 'instances.consoleTicketSeconds', 30),
      300,
    ),
    osImages,
    osImageDirectory: config.getOptionalString('osImageDirectory'),
    ...(embedded && count > 0
      ? {
          embeddedHosts: {
            count: Math.min(count, 8),
            cpus: whole(config, 'embeddedHosts.cpus', 16),
            memoryMiB: whole(config, 'embeddedHosts.memoryMiB', 65536),
            diskGiB: whole(config, 'embeddedHosts.diskGiB', 1024),
            runningPeriodSeconds: whole(
              config,
              'embeddedHosts.runningPeriodSeconds',
              3600,
            ),
            storagePeriodSeconds: whole(
              embedded,
              'storagePeriodSeconds',
              86400,
            ),
          },
        }
      : {}),
  };
}
