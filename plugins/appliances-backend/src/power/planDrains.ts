import { ResourceDemand } from '@tempest/backstage-plugin-appliances-common';
import { Host } from '../hosts/Host';
import { ConsolidationPolicy, Headroom } from './PowerConsolidator';

/**
 * An instance that holds capacity on a host, as drains see it: `stopped`
 * (or stored: only its disk is on the host), `running` (it moves live: its
 * guest pauses briefly at the switch-over), `moving` (a migration is taking
 * it away: its host is being emptied), or `pinned` (suspended, an action in
 * flight, an error: it cannot move now, so its host stays on).
 */
export type HostedInstance = {
  id: string;
  hostname: string;
  hostId: string;
  size: ResourceDemand;
  version: number;
  state: 'stopped' | 'running' | 'moving' | 'pinned';
  /** When it last changed state or host. */
  updatedAt: string;
  /** Its network: a running one keeps it when it moves live. */
  network?: string;
};

/** How far drains go, and the hysteresis that keeps them from churning. */
export type DrainLimits = {
  /** Running instances move too (live migration), not only stopped ones. */
  moveRunning: boolean;
  /** A running instance started or moved this recently stays where it is; a host whose drain failed this recently is left alone. */
  instanceHoldMs: number;
  /** Moves in flight at once, at most, counting those already running. */
  maxMovesInFlight: number;
};

/** Today's drains: stopped instances only. */
export const STOPPED_ONLY: DrainLimits = {
  moveRunning: false,
  instanceHoldMs: 0,
  maxMovesInFlight: Number.MAX_SAFE_INTEGER,
};

export type DrainMove = {
  instanceId: string;
  hostname: string;
  version: number;
  toHostId: string;
  toHostName: string;
  running: boolean;
};

export type DrainPlan = {
  hostId: string;
  hostName: string;
  reason: string;
  moves: DrainMove[];
};

type Room = Headroom & { storageMb: number };

const describe = (r: Headroom) =>
  `${r.cpuCores} cores and ${r.memoryMb.toLocaleString('en')} MB memory`;
const minutes = (ms: number) => Math.round(ms / 60_000);
const list = (names: string[]) => [...new Set(names)].join(', ');

/**
 * Which powered-on hosts to empty by moving their instances onto other
 * powered-on hosts of the same provider, so that consolidation can then
 * switch them off (VMware DPM's evacuation, as a pure function shared by the
 * power loop and bench/power). A host is emptied only whole: when every
 * instance on it may move (stopped ones unchanged for the grace period;
 * running ones, with `moveRunning`, unchanged for `instanceHoldMs`), nothing
 * else holds capacity on it, it has been on for the policy's `minOnMs`, every instance
 * fits (best fit) on hosts that stay on, and switching it off afterwards
 * keeps the reserve. Destinations are never powered on for it, never hosts
 * being emptied, and, without `moveRunning`, only hosts that something keeps
 * on. The host with the least to move (running memory, then moves) goes
 * first; at most `maxMovesInFlight` moves run at once.
 */
export function planDrains(
  hosts: readonly Host[],
  instances: readonly HostedInstance[],
  policy: ConsolidationPolicy,
  limits: DrainLimits,
  now: Date,
  /** Hosts whose last drain failed, and when. */
  failedAt: ReadonlyMap<string, string> = new Map(),
  /** The networks each host's agent offers, where known: a running instance goes only where its network is. */
  offered: ReadonlyMap<string, readonly string[]> = new Map(),
): DrainPlan[] {
  const onItsNetwork = (instance: HostedInstance, hostId: string) =>
    instance.state !== 'running' ||
    !instance.network ||
    (offered.get(hostId)?.includes(instance.network) ?? true);
  const age = (at: string | undefined) =>
    at === undefined ? Infinity : now.getTime() - new Date(at).getTime();
  const on = hosts.filter(
    h => h.power.state === 'on' && h.state === 'online' && !h.power.bmcFault,
  );
  const free = new Map<string, Room>(
    on.map(h => [
      h.id,
      {
        cpuCores: h.cpuCores - h.used.cpuCores,
        memoryMb: h.memoryMb - h.used.memoryMb,
        storageMb: h.storageMb - h.used.storageMb,
      },
    ]),
  );
  const byHost = new Map<string, HostedInstance[]>();
  for (const i of instances)
    byHost.set(i.hostId, [...(byHost.get(i.hostId) ?? []), i]);
  const hosted = (h: Host) => byHost.get(h.id) ?? [];
  const emptying = new Set(
    on.filter(h => hosted(h).some(i => i.state === 'moving')).map(h => h.id),
  );
  // A host being emptied counts as off already (its instances' room is
  // reserved on their destinations as their moves start).
  let headroom = on
    .filter(h => !emptying.has(h.id))
    .reduce(
      (sum, h) => ({
        cpuCores: sum.cpuCores + free.get(h.id)!.cpuCores,
        memoryMb: sum.memoryMb + free.get(h.id)!.memoryMb,
      }),
      { cpuCores: 0, memoryMb: 0 },
    );
  let budget =
    limits.maxMovesInFlight -
    instances.filter(i => i.state === 'moving').length;

  const movable = (i: HostedInstance) =>
    (i.state === 'stopped' && age(i.updatedAt) >= policy.graceMs) ||
    (i.state === 'running' &&
      limits.moveRunning &&
      age(i.updatedAt) >= limits.instanceHoldMs);
  // What the listed instances hold is all the host holds: nothing arriving, nothing unlisted.
  const accounted = (h: Host) => {
    const sum = hosted(h).reduce(
      (s, i) => ({
        cpuCores: s.cpuCores + i.size.cpuCores,
        memoryMb: s.memoryMb + i.size.memoryMb,
        storageMb: s.storageMb + i.size.storageMb,
      }),
      { cpuCores: 0, memoryMb: 0, storageMb: 0 },
    );
    return (
      sum.cpuCores === h.used.cpuCores &&
      sum.memoryMb === h.used.memoryMb &&
      sum.storageMb === h.used.storageMb
    );
  };
  const runningMb = (h: Host) =>
    hosted(h)
      .filter(i => i.state === 'running')
      .reduce((s, i) => s + i.size.memoryMb, 0);
  const candidates = on
    .filter(
      h =>
        Boolean(h.bmc?.hasCredentials) &&
        !emptying.has(h.id) &&
        hosted(h).length > 0 &&
        hosted(h).every(movable) &&
        accounted(h) &&
        age(h.power.changedAt) >= (policy.minOnMs ?? 0) &&
        age(failedAt.get(h.id)) >= limits.instanceHoldMs,
    )
    // The least to move first: running memory, then moves.
    .sort(
      (a, b) =>
        runningMb(a) - runningMb(b) ||
        hosted(a).length - hosted(b).length ||
        a.name.localeCompare(b.name),
    );
  // Without moveRunning, instances go only where something keeps the host on anyway.
  const anchored = (h: Host) => hosted(h).some(i => i.state !== 'stopped');
  const sources = new Set<string>();
  const receivers = new Set<string>();
  const plans: DrainPlan[] = [];
  for (const host of candidates) {
    const moving = hosted(host);
    if (receivers.has(host.id) || moving.length > budget) continue;
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
      t =>
        t.id !== host.id &&
        t.owner === host.owner &&
        !emptying.has(t.id) &&
        !sources.has(t.id) &&
        (limits.moveRunning
          ? hosted(t).length > 0 || receivers.has(t.id)
          : anchored(t)),
    );
    const trial = new Map(targets.map(t => [t.id, { ...free.get(t.id)! }]));
    const moves: DrainMove[] = [];
    const biggestFirst = [...moving].sort(
      (a, b) =>
        b.size.cpuCores - a.size.cpuCores || b.size.memoryMb - a.size.memoryMb,
    );
    for (const instance of biggestFirst) {
      // Best fit: the target left with the fewest free cores.
      const fit = targets
        .filter(t => {
          const room = trial.get(t.id)!;
          return (
            onItsNetwork(instance, t.id) &&
            room.cpuCores >= instance.size.cpuCores &&
            room.memoryMb >= instance.size.memoryMb &&
            room.storageMb >= instance.size.storageMb
          );
        })
        .sort(
          (a, b) =>
            trial.get(a.id)!.cpuCores - trial.get(b.id)!.cpuCores ||
            trial.get(a.id)!.memoryMb - trial.get(b.id)!.memoryMb ||
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
        running: instance.state === 'running',
      });
    }
    if (moves.length !== biggestFirst.length) continue;
    for (const [id, room] of trial) free.set(id, room);
    for (const m of moves) receivers.add(m.toHostId);
    sources.add(host.id);
    headroom = afterOff;
    budget -= moves.length;
    plans.push({
      hostId: host.id,
      hostName: host.name,
      reason: reasonFor(moves, moving, policy, limits, afterOff),
      moves,
    });
  }
  return plans;
}

function reasonFor(
  moves: DrainMove[],
  moving: HostedInstance[],
  policy: ConsolidationPolicy,
  limits: DrainLimits,
  afterOff: Headroom,
): string {
  const names = list(moves.map(m => m.hostname));
  const to = list(moves.map(m => m.toHostName));
  const kept = `${describe(afterOff)} stay free on powered-on hosts, at least the reserve of ${describe(policy.reserve)}`;
  const running = moving.filter(i => i.state === 'running');
  if (!running.length)
    return `Only stopped instances for at least ${minutes(policy.graceMs)} min (${names}): moved to ${to} so that it can be switched off; ${kept}`;
  const gib = running.reduce((s, i) => s + i.size.memoryMb, 0) / 1024;
  return `Everything on it fits on other powered-on hosts (${names}; ${running.length} running, ${gib.toLocaleString('en', { maximumFractionDigits: 1 })} GiB of memory to copy, each guest paused briefly at the switch-over): moved live to ${to} so that it can be switched off; none changed for ${minutes(limits.instanceHoldMs)} min, the host on for at least ${minutes(policy.minOnMs ?? 0)} min; ${kept}`;
}
