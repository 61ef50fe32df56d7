export interface Config {
  /** Tempest settings read by the backend package. */
  tempest?: {
    /**
     * Maps Tempest roles to the group (or user) entity refs whose members hold
     * them, e.g. `admin: [group:default/tempest-admins]`.
     */
    roles?: {
      /** Refs whose members administer channels, accounts and everything else. */
      admin?: string[];
      /** Refs whose members register and price hosts. */
      provider?: string[];
      /** Refs whose members provision and run instances. */
      buyer?: string[];
    };
  };
}
