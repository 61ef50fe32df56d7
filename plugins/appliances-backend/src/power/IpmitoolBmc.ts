import { execFile } from 'node:child_process';
import { BmcDriver, BmcError, BmcTarget, ChassisPower } from './BmcDriver';
import { parseBmcAddress } from './parseBmcAddress';

export type IpmitoolBmcOptions = {
  /** The ipmitool binary (default `ipmitool` on PATH). */
  command?: string;
  /** How long one ipmitool call may take before it is killed. */
  timeoutMs?: number;
  /** The sensor that reads the chassis' draw; without one, the first SDR in Watts. */
  wattsSensor?: string;
};

/**
 * Talks IPMI 2.0 (lanplus, cipher suite 3) through `ipmitool`: arguments as
 * an array, never a shell string, and the password in IPMI_PASSWORD (`-E`),
 * never in argv where any user on the machine could read it.
 */
export class IpmitoolBmc implements BmcDriver {
  readonly kind = 'ipmitool';
  private readonly command: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: IpmitoolBmcOptions = {}) {
    this.command = options.command ?? 'ipmitool';
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  async status(target: BmcTarget): Promise<ChassisPower> {
    const out = await this.run(target, ['chassis', 'power', 'status']);
    const match = /Chassis Power is (on|off)/i.exec(out);
    if (!match)
      throw new BmcError(
        `unexpected answer to power status: ${out.trim().slice(0, 200)}`,
      );
    return match[1].toLowerCase() as ChassisPower;
  }

  async on(target: BmcTarget): Promise<void> {
    await this.run(target, ['chassis', 'power', 'on']);
  }

  async off(target: BmcTarget, mode: 'soft' | 'hard'): Promise<void> {
    await this.run(target, [
      'chassis',
      'power',
      mode === 'soft' ? 'soft' : 'off',
    ]);
  }

  async cycle(target: BmcTarget): Promise<void> {
    await this.run(target, ['chassis', 'power', 'cycle']);
  }

  async readWatts(target: BmcTarget): Promise<number | undefined> {
    if (this.options.wattsSensor) {
      const out = await this.run(target, [
        'sensor',
        'reading',
        this.options.wattsSensor,
      ]);
      const value = Number(out.split('|')[1]?.trim());
      return Number.isFinite(value) ? Math.round(value) : undefined;
    }
    const out = await this.run(target, ['sdr', 'list']);
    for (const line of out.split('\n')) {
      const match = /\|\s*([\d.]+)\s+Watts\s*\|/i.exec(line);
      if (match) return Math.round(Number(match[1]));
    }
    return undefined;
  }

  private run(target: BmcTarget, args: string[]): Promise<string> {
    const { host, port } = parseBmcAddress(target.address);
    const argv = [
      '-I',
      'lanplus',
      '-C',
      '3',
      '-H',
      host,
      '-p',
      String(port),
      '-U',
      target.username,
      '-E',
      ...args,
    ];
    return new Promise((resolve, reject) => {
      execFile(
        this.command,
        argv,
        {
          timeout: this.timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: 1024 * 1024,
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            IPMI_PASSWORD: target.password,
          },
        },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const e = error as NodeJS.ErrnoException & { killed?: boolean };
          if (e.killed)
            return reject(
              new BmcError(
                `BMC ${target.address} did not answer within ${this.timeoutMs} ms`,
                'timeout',
              ),
            );
          if (e.code === 'ENOENT')
            return reject(new BmcError(`${this.command} is not installed`));
          const said = String(stderr || stdout)
            .trim()
            .split('\n')
            .slice(-2)
            .join(' ')
            .slice(0, 300);
          return reject(
            new BmcError(
              `BMC ${target.address}: ${said || `ipmitool exited with ${e.code}`}`,
              /RMCP\+ session|password|authenticat|unauthorized/i.test(said)
                ? 'auth'
                : 'failed',
            ),
          );
        },
      );
    });
  }
}
