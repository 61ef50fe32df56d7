/** What an instance learns about itself at first boot (cloud-init NoCloud). */
export interface SeedConfig {
  instanceId: string;
  hostname: string;
  domain?: string;
  sshAuthorizedKeys?: string[];
  /** Appliance variables, written to /etc/tempest/appliance-variables.json and appliance.env in the guest. */
  variables?: Record<string, string>;
}

/** Builds and reads instance seeds: a genisoimage `cidata` ISO, or simulated. */
export interface SeedBuilder {
  readonly driver: 'genisoimage' | 'simulated';
  build(path: string, config: SeedConfig): Promise<void>;
  read(path: string): Promise<SeedConfig>;
  /** Every file the seed holds, by path inside it (meta-data, user-data, tempest/...). */
  files(path: string): Promise<Record<string, string>>;
}
