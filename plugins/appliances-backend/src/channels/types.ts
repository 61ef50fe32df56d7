/** A disk of an appliance's hardware: an image file in the appliance, or a blank disk of a size. */
export type ApplianceDisk = {
  name: string;
  type: 'system' | 'swap' | 'user' | 'data';
  file?: string;
  sizeMb?: number;
};

/**
 * A value the appliance asks for when an instance is provisioned (Tempest's
 * addition to the STORM format): it reaches the guest through the seed, as
 * /etc/tempest/appliance.env and appliance-variables.json.
 */
export type ApplianceVariable = {
  name: string;
  description: string;
  /** Provisioning refuses a request without it (and without a default). */
  required: boolean;
  /** Never shown back (a password): the API lists its name only. */
  secret: boolean;
  default?: string;
};

/** One STORM appliance definition (Figure 2 of the STORM paper). */
export type ApplianceDefinition = {
  label: string;
  description: string;
  version: string;
  sizeMb: number;
  imageUrl: string;
  signatureUrl?: string;
  provides: string;
  webpanel?: string;
  hardware: {
    cpus: number;
    memoryKib: number;
    ostype: string;
    disks: ApplianceDisk[];
  };
  dependencies: { name: string; version?: string }[];
  variables: ApplianceVariable[];
};

/** A problem with one feed item: which item, which field, what was expected. */
export type ItemError = {
  item: string;
  field: string;
  message: string;
};

/** Thrown by the definition parser; carries every problem found. */
export class DefinitionError extends Error {
  constructor(readonly problems: { field: string; message: string }[]) {
    super(problems.map(p => `${p.field}: ${p.message}`).join('; '));
    this.name = 'DefinitionError';
  }
}
