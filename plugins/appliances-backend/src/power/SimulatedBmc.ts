import { BmcDriver, BmcError, BmcTarget, ChassisPower } from './BmcDriver';

type Chassis = {
  power: ChassisPower;
  password?: string;
  /** An operating system that ignores ACPI shutdown requests. */
  ignoresSoftOff: boolean;
  fault?: 'timeout' | 'failed';
};

export type SimulatedBmcOptions = {
  /** Draw of a powered-on chassis (default 150 W plus whatever `extraWatts` says). */
  idleWatts?: number;
  extraWatts?: (address: string) => number;
  /** How long a simulated fault of kind timeout takes to fail. */
  timeoutMs?: number;
};

/**
 * BMCs held in memory, for the embedded default and fast tests. The first
 * caller of an address sets its password; chassis start powered on. Listeners
 * hear every change of power, so the embedded hosts' agents can stop and
 * resume heartbeats as a real host's would.
 */
export class SimulatedBmc implements BmcDriver {
  readonly kind = 'simulated';
  private readonly chassis = new Map<string, Chassis>();
  private readonly listeners = new Set<
    (address: string, power: ChassisPower) => void
  >();

  constructor(private readonly options: SimulatedBmcOptions = {}) {}

  onPowerChange(
    listener: (address: string, power: ChassisPower) => void,
  ): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What the chassis is, without credentials: for tests and the embedded hosts. */
  peek(address: string): ChassisPower {
    return this.at(address).power;
  }

  /** Someone at the rack (or another tool) changes the power behind Tempest's back. */
  pressButton(address: string, power: ChassisPower) {
    this.set(address, power);
  }

  /** Makes the BMC time out or fail from now on; `undefined` heals it. */
  setFault(address: string, fault: Chassis['fault']) {
    this.at(address).fault = fault;
  }

  setIgnoresSoftOff(address: string, ignores: boolean) {
    this.at(address).ignoresSoftOff = ignores;
  }

  async status(target: BmcTarget): Promise<ChassisPower> {
    return (await this.reach(target)).power;
  }

  async on(target: BmcTarget): Promise<void> {
    await this.reach(target);
    this.set(target.address, 'on');
  }

  async off(target: BmcTarget, mode: 'soft' | 'hard'): Promise<void> {
    const chassis = await this.reach(target);
    if (mode === 'soft' && chassis.ignoresSoftOff) return;
    this.set(target.address, 'off');
  }

  async cycle(target: BmcTarget): Promise<void> {
    await this.reach(target);
    this.set(target.address, 'off');
    this.set(target.address, 'on');
  }

  async readWatts(target: BmcTarget): Promise<number | undefined> {
    const chassis = await this.reach(target);
    if (chassis.power === 'off') return 0;
    return (
      (this.options.idleWatts ?? 150) +
      (this.options.extraWatts?.(target.address) ?? 0)
    );
  }

  private at(address: string): Chassis {
    let chassis = this.chassis.get(address);
    if (!chassis) {
      chassis = { power: 'on', ignoresSoftOff: false };
      this.chassis.set(address, chassis);
    }
    return chassis;
  }

  private async reach(target: BmcTarget): Promise<Chassis> {
    const chassis = this.at(target.address);
    if (chassis.fault === 'timeout') {
      await new Promise(r => setTimeout(r, this.options.timeoutMs ?? 50));
      throw new BmcError(
        `BMC ${target.address} did not answer within ${this.options.timeoutMs ?? 50} ms`,
        'timeout',
      );
    }
    if (chassis.fault === 'failed')
      throw new BmcError(`BMC ${target.address}: simulated failure`);
    chassis.password ??= target.password;
    if (chassis.password !== target.password)
      throw new BmcError(
        `BMC ${target.address}: Unable to establish IPMI v2 / RMCP+ session`,
        'auth',
      );
    return chassis;
  }

  private set(address: string, power: ChassisPower) {
    const chassis = this.at(address);
    if (chassis.power === power) return;
    chassis.power = power;
    for (const listener of this.listeners) listener(address, power);
  }
}
