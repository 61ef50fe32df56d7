export interface Config {
  /** Tempest appliances backend plugin. */
  appliances?: {
    /**
     * Provision appliances whose channel has no trusted keys or whose image
     * signature does not verify. Default false: such appliances are refused.
     */
    allowUnsigned?: boolean;
  };
}
