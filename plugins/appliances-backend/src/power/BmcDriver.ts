/** Where a host's BMC answers and who may talk to it. */
export type BmcTarget = {
  /** `host`, `host:port` or `[v6]:port`; IPMI's port 623 when none is given. */
  address: string;
  username: string;
  password: string;
};

/** What the chassis says about its power. */
export type ChassisPower = 'on' | 'off';

/** A BMC that did not answer in time, refused the credentials or otherwise failed. */
export class BmcError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'auth' | 'failed' = 'failed',
  ) {
    super(message);
    this.name = 'BmcError';
  }
}

/**
 * One way of talking to baseboard management controllers. Every driver
 * passes the contract suite in BmcDriver.contract.ts.
 */
export interface BmcDriver {
  readonly kind: 'ipmitool' | 'simulated';
  status(target: BmcTarget): Promise<ChassisPower>;
  on(target: BmcTarget): Promise<void>;
  /** Soft asks the operating system to shut down (ACPI); hard cuts power. */
  off(target: BmcTarget, mode: 'soft' | 'hard'): Promise<void>;
  cycle(target: BmcTarget): Promise<void>;
  /** The chassis' power draw in Watts, if the BMC has a sensor for it. */
  readWatts(target: BmcTarget): Promise<number | undefined>;
}
