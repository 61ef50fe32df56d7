import fs from 'node:fs';
import path from 'node:path';
import { ResolvedDomainSpec, ResolvedNic } from './Hypervisor';
import { poolAddresses } from './poolAddresses';
import type { SimulatedDomain } from './SimulatedHypervisor';
import { validateName } from '../validation/names';

/**
 * The simulated DHCP: each NIC without an address gets the first free one of
 * its network's pool (none when the pool is exhausted, as DHCP would leave
 * it). Answers the same object when nothing changed.
 */
export function leaseFromPools(
  nics: ResolvedNic[],
  leases: Record<string, string> | undefined,
  pools: Record<string, string>,
  taken: Set<string>,
): Record<string, string> | undefined {
  let next = leases;
  for (const nic of nics) {
    if (next?.[nic.mac]) continue;
    const pool = pools[nic.network];
    if (!pool) continue;
    let free: string | undefined;
    for (const a of poolAddresses(pool)) {
      if (!taken.has(a)) {
        free = a;
        break;
      }
    }
    if (!free) continue;
    next = { ...next, [nic.mac]: free };
    taken.add(free);
  }
  return next;
}

/** A stand-in serial log, as a guest booting on ttyS0 would write one. */
export async function writeSimulatedBootLog(
  spec: ResolvedDomainSpec,
  leases: Record<string, string> | undefined,
) {
  if (!spec.consoleLogPath) return;
  const address = Object.values(leases ?? {})[0];
  const lines = [
    `[    0.000000] Linux version 6.1.0-simulated (Tempest simulated guest)`,
    `[    0.412000] Run /init as init process`,
    `Starting ${spec.name} (simulated: no guest runs on this host)`,
    ...(address ? [`eth0: leased ${address}`] : []),
    `${spec.name} login: `,
  ];
  await fs.promises.mkdir(path.dirname(spec.consoleLogPath), {
    recursive: true,
  });
  await fs.promises.appendFile(spec.consoleLogPath, `${lines.join('\n')}\n`);
}

/** The simulated domains kept in `dir`, one file each (an earlier version's single hypervisor.json is split once). */
export function loadSimulatedDomains(
  stateDir: string,
  dir: string,
): SimulatedDomain[] {
  fs.mkdirSync(dir, { recursive: true });
  const legacy = path.join(stateDir, 'hypervisor.json');
  if (fs.existsSync(legacy)) {
    const saved = JSON.parse(fs.readFileSync(legacy, 'utf8')) as {
      domains: SimulatedDomain[];
    };
    for (const d of saved.domains)
      fs.writeFileSync(
        path.join(dir, `${validateName(d.spec.name, 'domain name')}.json`),
        JSON.stringify(d),
      );
    fs.rmSync(legacy);
  }
  return fs
    .readdirSync(dir)
    .filter(file => file.endsWith('.json')) // not a write's leftover temp file
    .map(
      file =>
        JSON.parse(
          fs.readFileSync(path.join(dir, file), 'utf8'),
        ) as SimulatedDomain,
    );
}
