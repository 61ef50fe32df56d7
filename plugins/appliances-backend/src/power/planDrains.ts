import { ResourceDemand } from '@tempest/backstage-plugin-appliances-common';
import { Host } from '../hosts/Host';
import { ConsolidationPolicy, Headroom } from './PowerConsolidator';

/** A stopped or stored instance: all of it is on its host's disk, so it can move. */
export type ParkedInstance = {
  id: string;
  hostname: string;
  hostId: string;
  size: ResourceDemand;
  version: number;
  /** When it last changed state. */
  updatedAt: string;
};

export type DrainMove = {
  instanceId: string;
  hostname: string;
  version: number;
  toHostId: string;
  toHostName: string;
};

export type DrainPlan = {
  hostId: string;
  hostName: string;
  reason: string;
  moves: DrainMove[];
};

const describe = (r: Headroom) =>
  `${r.cpuCores} cores and ${r.memoryMb.toLocaleString('en')} MB memory`;

/**
 * Which powered-on hosts to empty by moving their stopped instances away, so
 * that consolidation can then switch them off. Stopped instances keep a host
 * on only because their disks live there. A host is drained when nothing on
 * it runs (`busyHostIds` lists hosts with running, suspended or in-flight
 * instances), its instances have not changed for the grace period, every one
 * of them fits on the busy powered-on hosts of the same provider, and
 * switching it off afterwards keeps the reserve. Pure, like planConsolidation.
 */
export function planDrains(
  hosts: readonly Host[],
  parked: readonly ParkedInstance[],
  busyHostIds: ReadonlySet<string>,
  policy: ConsolidationPolicy,
  now: Date,
): DrainPlan[] {
  const on = hosts.filter(
    h => h.power.state === 'on' && h.state === 'online' && !h.power.bmcFault,
  );
  const free = new Map(
    on.map(h => [
      h.id,
      {
        cpuCores: h.cpuCores - h.used.cpuCores,
        memoryMb: h.memoryMb - h.used.memoryMb,
        storageMb: h.storageMb - h.used.storageMb,
      },
    ]),
  );
  let headroom = on.reduce(
    (sum, h) => ({
      cpuCores: sum.cpuCores + free.get(h.id)!.cpuCores,
      memoryMb: sum.memoryMb + free.get(h.id)!.memoryMb,
    }),
    { cpuCores: 0, memoryMb: 0 },
  );
  const parkedOn = new Map<string, ParkedInstance[]>();
  for (const p of parked)
    parkedOn.set(p.hostId, [...(parkedOn.get(p.hostId) ?? []), p]);

  const settled = (list: ParkedInstance[]) =>
    list.every(
      p => now.getTime() - new Date(p.updatedAt).getTime() >= policy.graceMs,
    );
  const candidates = on
    .filter(
      h =>
        Boolean(h.bmc?.hasCredentials) &&
        !busyHostIds.has(h.id) &&
        parkedOn.has(h.id) &&
        settled(parkedOn.get(h.id)!),
    )
    // The fewest moves first.
    .sort(
      (a, b) =>
        parkedOn.get(a.id)!.length - parkedOn.get(b.id)!.length ||
        a.name.localeCompare(b.name),
    );
  const plans: DrainPlan[] = [];
  for (const host of candidates) {
    const afterOff = {
      cpuCores: headroom.cpuCores - host.cpuCores,
      memoryMb: headroom.memoryMb - host.memoryMb,
    };
    if (
      afterOff.cpuCores < policy.reserve.cpuCores ||
      afterOff.memoryMb < policy.reserve.memoryMb
    )
      continue;
    const targets = on.filter(
      t => t.id !== host.id && t.owner === host.owner && busyHostIds.has(t.id),
    );
    const trial = new Map(targets.map(t => [t.id, { ...free.get(t.id)! }]));
    const moves: DrainMove[] = [];
    const biggestFirst = [...parkedOn.get(host.id)!].sort(
      (a, b) =>
        b.size.cpuCores - a.size.cpuCores || b.size.memoryMb - a.size.memoryMb,
    );
    for (const instance of biggestFirst) {
      // Best fit: the target left with the fewest free cores.
      const fit = targets
        .filter(t => {
          const room = trial.get(t.id)!;
          return (
            room.cpuCores >= instance.size.cpuCores &&
            room.memoryMb >= instance.size.memoryMb &&
            room.storageMb >= instance.size.storageMb
          );
        })
        .sort(
          (a, b) =>
            trial.get(a.id)!.cpuCores - trial.get(b.id)!.cpuCores ||
            a.name.localeCompare(b.name),
        )[0];
      if (!fit) break;
      const room = trial.get(fit.id)!;
      room.cpuCores -= instance.size.cpuCores;
      room.memoryMb -= instance.size.memoryMb;
      room.storageMb -= instance.size.storageMb;
      moves.push({
        instanceId: instance.id,
        hostname: instance.hostname,
        version: instance.version,
        toHostId: fit.id,
        toHostName: fit.name,
      });
    }
    if (moves.length !== biggestFirst.length) continue;
    for (const [id, room] of trial) free.set(id, room);
    headroom = afterOff;
    const minutes = Math.round(policy.graceMs / 60_000);
    plans.push({
      hostId: host.id,
      hostName: host.name,
      reason: `Only stopped instances for at least ${minutes} min (${moves.map(m => m.hostname).join(', ')}): moved to ${[...new Set(moves.map(m => m.toHostName))].join(', ')} so that it can be switched off; ${describe(afterOff)} stay free on powered-on hosts, at least the reserve of ${describe(policy.reserve)}`,
      moves,
    });
  }
  return plans;
}
