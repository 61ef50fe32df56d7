import { ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BmcTarget } from '../BmcDriver';
import { IpmitoolBmc } from '../IpmitoolBmc';

/** The chassis_control script: records every call, keeps power and Watts in files. */
const CHASSIS_SCRIPT = `#!/bin/sh
dir="$1"; shift
echo "$*" >> "$dir/calls.log"
case "$1" in
  get) echo "power:$(cat "$dir/power")" ;;
  set)
    shift
    while [ $# -gt 1 ]; do
      case "$1" in
        power) printf '%s' "$2" > "$dir/power" ;;
        shutdown) [ -e "$dir/ignore-soft" ] || printf '0' > "$dir/power" ;;
      esac
      shift 2
    done
    if [ "$(cat "$dir/power")" = 1 ]; then cat "$dir/watts-on" > "$dir/watts"; else echo 0 > "$dir/watts"; fi
    ;;
esac
`;

/** A full sensor record (SDR type 1) for sensor 1: unsigned, Watts, reading × 4. */
function wattsSdr(name: string): number[] {
  const id = [...Buffer.from(name, 'ascii')];
  const body = [
    0x20,
    0x00,
    0x01, // owner, LUN, sensor number
    0x15,
    0x01, // entity: power unit 1
    0x7f,
    0x68, // initialisation, capabilities
    0x0b,
    0x01, // other units-based sensor, threshold reading
    0,
    0,
    0,
    0,
    0,
    0, // event masks
    0x00,
    0x06,
    0x00, // unsigned; base unit Watts
    0x00,
    0x04,
    0x00,
    0,
    0,
    0,
    0, // linear, M = 4, B = 0, exponents 0
    0x00,
    0,
    0,
    0,
    0xff,
    0x00, // flags, nominal, normal max/min, sensor max/min
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0, // thresholds, hysteresis
    0,
    0,
    0, // reserved, OEM
    0xc0 | id.length,
    ...id,
  ];
  return [0x00, 0x00, 0x51, 0x01, body.length, ...body];
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>(r => socket.bind(0, '127.0.0.1', () => r()));
  const { port } = socket.address();
  await new Promise<void>(r => socket.close(() => r()));
  return port;
}

export type SimulatedChassis = {
  target: BmcTarget;
  dir: string;
  process: ChildProcess;
};

/**
 * OpenIPMI's ipmi_sim as real BMCs for tests: one process per chassis on its
 * own UDP port of 127.0.0.1, each with an admin user, a chassis_control
 * script that records power in a file, and a "Power Meter" sensor in Watts.
 */
export class IpmiSimHarness {
  readonly chassis: SimulatedChassis[] = [];
  private root = '';

  static async start(count: number, wattsOn = 200): Promise<IpmiSimHarness> {
    const harness = new IpmiSimHarness();
    harness.root = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-ipmi-'));
    for (let i = 0; i < count; i++) await harness.add(i, wattsOn);
    return harness;
  }

  private async add(index: number, wattsOn: number) {
    const dir = path.join(this.root, `bmc${index}`);
    await fs.mkdir(path.join(dir, 'state'), { recursive: true });
    const port = await freeUdpPort();
    const password = `pw-${index}-${Math.random().toString(36).slice(2)}`;
    const script = path.join(dir, 'chassis.sh');
    await fs.writeFile(script, CHASSIS_SCRIPT, { mode: 0o755 });
    await fs.writeFile(path.join(dir, 'power'), '1');
    await fs.writeFile(path.join(dir, 'watts-on'), `${wattsOn}\n`);
    await fs.writeFile(path.join(dir, 'watts'), `${wattsOn}\n`);
    await fs.writeFile(
      path.join(dir, 'lan.conf'),
      [
        `name "tempest-bmc${index}"`,
        'set_working_mc 0x20',
        'startlan 1',
        `  addr 127.0.0.1 ${port}`,
        '  priv_limit admin',
        '  allowed_auths_callback none md2 md5 straight',
        '  allowed_auths_user none md2 md5 straight',
        '  allowed_auths_operator none md2 md5 straight',
        '  allowed_auths_admin none md2 md5 straight',
        '  guid a123456789abcdefa123456789abcdef',
        'endlan',
        `chassis_control "${script} ${dir}"`,
        `user 2 true "admin" "${password}" admin 10 none md2 md5 straight`,
        '',
      ].join('\n'),
    );
    const bytes = wattsSdr('Power Meter').map(
      b => `0x${b.toString(16).padStart(2, '0')}`,
    );
    await fs.writeFile(
      path.join(dir, 'sim.emu'),
      [
        'mc_setbmc 0x20',
        'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02',
        `sensor_add 0x20 0 1 0x0b 0x01 poll 500 file "${path.join(dir, 'watts')}" div=4`,
        `main_sdr_add 0x20 ${bytes.join(' ')}`,
        'sensor_set_event_support 0x20 0 1 enable scanning none 000000000000000 000000000000000 000000000000000 000000000000000',
        'mc_enable 0x20',
        '',
      ].join('\n'),
    );
    const child = spawn(
      'ipmi_sim',
      [
        '-n',
        '-c',
        path.join(dir, 'lan.conf'),
        '-f',
        path.join(dir, 'sim.emu'),
        '-s',
        path.join(dir, 'state'),
      ],
      { stdio: 'ignore' },
    );
    // ipmi_sim is ready in about 0.1 s.
    await new Promise(r => setTimeout(r, 300));
    if (child.exitCode !== null)
      throw new Error(`ipmi_sim for bmc${index} exited with ${child.exitCode}`);
    this.chassis.push({
      target: { address: `127.0.0.1:${port}`, username: 'admin', password },
      dir,
      process: child,
    });
  }

  /** What the chassis_control script recorded. */
  async power(index: number): Promise<'on' | 'off'> {
    return (
      await fs.readFile(path.join(this.chassis[index].dir, 'power'), 'utf8')
    ).trim() === '1'
      ? 'on'
      : 'off';
  }

  /** Changes the power behind the BMC client's back, as a button at the rack would. */
  async pressButton(index: number, power: 'on' | 'off') {
    const { dir } = this.chassis[index];
    await fs.writeFile(path.join(dir, 'power'), power === 'on' ? '1' : '0');
    const watts =
      power === 'on'
        ? await fs.readFile(path.join(dir, 'watts-on'), 'utf8')
        : '0\n';
    await fs.writeFile(path.join(dir, 'watts'), watts);
    await this.waitForWatts(index, Number(watts));
  }

  /**
   * ipmi_sim polls the Watts file every 500 ms: a reading taken straight
   * after a change at the rack could still be the old one, on a busy machine
   * for longer than one poll.
   */
  private async waitForWatts(index: number, watts: number) {
    const bmc = new IpmitoolBmc({ timeoutMs: 3000 });
    const deadline = Date.now() + 10_000;
    let last: number | undefined;
    while (Date.now() < deadline) {
      last = await bmc.readWatts(this.chassis[index].target);
      if (last === watts) return;
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`bmc${index} still reads ${last} W, not ${watts} W`);
  }

  async setIgnoresSoftOff(index: number, ignores: boolean) {
    const file = path.join(this.chassis[index].dir, 'ignore-soft');
    if (ignores) await fs.writeFile(file, '');
    else await fs.rm(file, { force: true });
  }

  async calls(index: number): Promise<string[]> {
    try {
      const file = path.join(this.chassis[index].dir, 'calls.log');
      return (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  /** A BMC that stops answering (SIGSTOP) until resumed. */
  freeze(index: number) {
    this.chassis[index].process.kill('SIGSTOP');
  }

  thaw(index: number) {
    this.chassis[index].process.kill('SIGCONT');
  }

  async stop() {
    for (const c of this.chassis) {
      c.process.kill('SIGCONT');
      c.process.kill('SIGKILL');
    }
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
