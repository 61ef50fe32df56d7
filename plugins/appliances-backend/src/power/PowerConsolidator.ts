import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { Host, HostStore } from '../hosts/HostStore';
import { HostPower } from './HostPower';
import { PowerStore } from './PowerStore';
import {
  DrainLimits,
  DrainMove,
  HostedInstance,
  planDrains,
} from './planDrains';

/** Free capacity, in cores and memory. */
export type Headroom = { cpuCores: number; memoryMb: number };

export type ConsolidationPolicy = {
  /** An empty host is powered off only after it has been empty this long. */
  graceMs: number;
  /** Free capacity on powered-on hosts that must remain after a power-off. */
  reserve: Headroom;
  /** Below this much free capacity one more host is powered on ahead of demand. */
  lowerBand: Headroom;
  /** A host powered on this recently is not switched off (nor emptied by a drain): at most one power cycle per host in this time. */
  minOnMs?: number;
};

export type ConsolidationDecision = {
  hostId: string;
  hostName: string;
  action: 'on' | 'off';
  reason: string;
};

const free = (h: Host): Headroom => ({
  cpuCores: h.cpuCores - h.used.cpuCores,
  memoryMb: h.memoryMb - h.used.memoryMb,
});
const isEmpty = (h: Host) =>
  h.used.cpuCores === 0 && h.used.memoryMb === 0 && h.used.storageMb === 0;
/** Smaller first: by cores, then memory. */
const bySize = (a: Host, b: Host) =>
  a.cpuCores - b.cpuCores || a.memoryMb - b.memoryMb;
const describe = (r: Headroom) =>
  `${r.cpuCores} cores and ${r.memoryMb.toLocaleString('en')} MB memory`;

/**
 * Decides, from hosts as they are, what to power off or on: pure, so the
 * power loop, its tests and bench/power share it. An empty host goes off
 * after the grace period if the free capacity left on powered-on hosts stays
 * at or above the reserve (the biggest such hosts first); when it falls below
 * the lower band, one more host comes on (the smallest that restores the
 * reserve). With the lower band at or below the reserve, an off never
 * triggers an on and an on never enables an off: no flapping. Hosts in
 * maintenance, with a BMC fault or without a BMC are left alone.
 */
export function planConsolidation(
  hosts: readonly Host[],
  policy: ConsolidationPolicy,
  now: Date,
  /** Hosts a drain emptied: they go off once empty, without the grace (it was spent before the drain). */
  drained: ReadonlySet<string> = new Set(),
): ConsolidationDecision[] {
  const manageable = (h: Host) =>
    h.state !== 'maintenance' &&
    h.state !== 'pending' &&
    !h.power.bmcFault &&
    Boolean(h.bmc?.hasCredentials);
  const on = hosts.filter(
    h =>
      h.power.state === 'on' &&
      h.state !== 'maintenance' &&
      h.state !== 'pending',
  );
  const headroom = on.reduce(
    (sum, h) => ({
      cpuCores: sum.cpuCores + free(h).cpuCores,
      memoryMb: sum.memoryMb + free(h).memoryMb,
    }),
    { cpuCores: 0, memoryMb: 0 },
  );
  const decisions: ConsolidationDecision[] = [];

  if (
    headroom.cpuCores < policy.lowerBand.cpuCores ||
    headroom.memoryMb < policy.lowerBand.memoryMb
  ) {
    // The smallest host that brings free capacity back to the reserve comes
    // on (a big one would keep capacity nobody asked for powered); if none
    // can alone, the biggest. Among equals, the host off longest. A fault or
    // maintenance keeps a host off.
    const restores = (h: Host) =>
      headroom.cpuCores + h.cpuCores >= policy.reserve.cpuCores &&
      headroom.memoryMb + h.memoryMb >= policy.reserve.memoryMb;
    const offHosts = hosts.filter(
      h => h.power.state === 'off' && manageable(h),
    );
    const enough = offHosts.filter(restores);
    const candidate = (enough.length ? enough : offHosts).sort(
      (a, b) =>
        (enough.length ? bySize(a, b) : bySize(b, a)) ||
        (a.power.changedAt ?? '').localeCompare(b.power.changedAt ?? '') ||
        a.name.localeCompare(b.name),
    )[0];
    if (candidate)
      decisions.push({
        hostId: candidate.id,
        hostName: candidate.name,
        action: 'on',
        reason: `Free capacity on powered-on hosts (${describe(headroom)}) fell below the lower band (${describe(policy.lowerBand)}): powered on ahead of demand`,
      });
    return decisions;
  }

  const idle = on
    .filter(
      h =>
        manageable(h) &&
        isEmpty(h) &&
        h.power.emptySince !== undefined &&
        !(
          policy.minOnMs &&
          h.power.changedAt &&
          now.getTime() - new Date(h.power.changedAt).getTime() < policy.minOnMs
        ) &&
        (drained.has(h.id) ||
          now.getTime() - new Date(h.power.emptySince).getTime() >=
            policy.graceMs),
    )
    // The biggest idle hosts go off first, so that what stays on to hold the
    // reserve is the least capacity that does; among equals, the one empty longest.
    .sort(
      (a, b) =>
        bySize(b, a) ||
        a.power.emptySince!.localeCompare(b.power.emptySince!) ||
        a.name.localeCompare(b.name),
    );
  let left = headroom;
  for (const host of idle) {
    const after = {
      cpuCores: left.cpuCores - host.cpuCores,
      memoryMb: left.memoryMb - host.memoryMb,
    };
    if (
      after.cpuCores < policy.reserve.cpuCores ||
      after.memoryMb < policy.reserve.memoryMb
    )
      continue;
    left = after;
    const minutes = Math.round(
      (now.getTime() - new Date(host.power.emptySince!).getTime()) / 60_000,
    );
    decisions.push({
      hostId: host.id,
      hostName: host.name,
      action: 'off',
      reason: `${drained.has(host.id) ? 'Emptied by a drain, so off without waiting for the grace' : `Empty for ${minutes} min (grace ${Math.round(policy.graceMs / 60_000)} min)`}; ${describe(after)} stay free on powered-on hosts, at least the reserve of ${describe(policy.reserve)}`,
    });
  }
  return decisions;
}

/** Moving instances off hosts so that they can go off (planDrains). */
export type DrainDeps = {
  instances: {
    listHosted(): Promise<HostedInstance[]>;
    /** Source hosts of the loop's moves that failed since then, and when. */
    failedMoves(since: Date): Promise<Map<string, string>>;
  };
  limits: DrainLimits;
  /** Starts a migration (it runs on as an operation). */
  migrate(move: DrainMove): Promise<void>;
};

/** A host a drain emptied goes off without the grace while the drain is this recent. */
const DRAINED_WINDOW_MS = 3_600_000;

/** Runs consolidation's decisions through the BMCs and records them. */
export class PowerConsolidator {
  constructor(
    private readonly o: {
      hosts: HostStore;
      store: PowerStore;
      power: HostPower;
      policy: ConsolidationPolicy;
      logger: LoggerService;
      auditor: AuditorService;
      /** Without it, the instances on a host keep it on. */
      drains?: DrainDeps;
    },
  ) {}

  async consolidate(now = new Date()): Promise<ConsolidationDecision[]> {
    const hosts = await this.o.hosts.list();
    // The grace period counts from when the loop first saw a host empty.
    for (const host of hosts) {
      const empty = isEmpty(host) && host.power.state === 'on';
      if (empty && !host.power.emptySince) {
        await this.o.store.setEmptySince(host.id, now);
        host.power.emptySince = now.toISOString();
      } else if (!empty && host.power.emptySince) {
        await this.o.store.setEmptySince(host.id, null);
        host.power.emptySince = undefined;
      }
    }
    const recent = this.o.drains
      ? await this.o.store.latestDrains(
          new Date(now.getTime() - DRAINED_WINDOW_MS),
        )
      : new Map<string, { decidedAt: string; outcome: string }>();
    // Emptied by a drain since it last came on: the grace was spent before.
    const drained = new Set(
      hosts
        .filter(h => {
          const d = recent.get(h.id);
          return (
            d?.outcome === 'done' && d.decidedAt >= (h.power.changedAt ?? '')
          );
        })
        .map(h => h.id),
    );
    const decisions = planConsolidation(hosts, this.o.policy, now, drained);
    const done: ConsolidationDecision[] = [];
    for (const decision of decisions) {
      const event = await this.o.auditor.createEvent({
        eventId: 'host-power',
        severityLevel: 'medium',
        meta: { ...decision, actor: 'power-loop' },
      });
      try {
        await this.o.power.act(decision.hostId, decision.action, {
          actor: 'power-loop',
          reason: decision.reason,
          requireEmpty: decision.action === 'off',
          now,
        });
        if (decision.action === 'off')
          await this.o.store.setEmptySince(decision.hostId, null);
        done.push(decision);
        await event.success();
        this.o.logger.info(
          `Powered ${decision.action} ${decision.hostName}: ${decision.reason}`,
        );
      } catch (e) {
        await event.fail({ error: e as Error });
        // A host that filled up meanwhile is simply left on.
        if (!(e instanceof ConflictError))
          this.o.logger.warn(
            `Could not power ${decision.action} ${decision.hostName}: ${e}`,
          );
      }
    }
    // While capacity is short no host is emptied to go off.
    if (this.o.drains && !decisions.some(d => d.action === 'on')) {
      const off = new Set(
        done.filter(d => d.action === 'off').map(d => d.hostId),
      );
      const failedAt = new Map(
        [...recent]
          .filter(([, d]) => d.outcome === 'failed')
          .map(([id, d]) => [id, d.decidedAt]),
      );
      await this.drain(
        hosts.filter(h => !off.has(h.id)),
        this.o.drains,
        failedAt,
        now,
      );
    }
    return done;
  }

  /** Starts the moves that empty hosts, and records each drain. */
  private async drain(
    hosts: Host[],
    deps: DrainDeps,
    failedAt: Map<string, string>,
    now: Date,
  ) {
    // A move that failed after its drain started counts as a failed drain.
    const since = new Date(now.getTime() - deps.limits.instanceHoldMs);
    for (const [hostId, at] of await deps.instances.failedMoves(since))
      if (at > (failedAt.get(hostId) ?? '')) failedAt.set(hostId, at);
    const plans = planDrains(
      hosts,
      await deps.instances.listHosted(),
      this.o.policy,
      deps.limits,
      now,
      failedAt,
      await this.o.hosts.offeredNetworks(),
    );
    for (const plan of plans) {
      let failure: string | undefined;
      for (const move of plan.moves) {
        try {
          await deps.migrate(move);
        } catch (e) {
          failure = `moving ${move.hostname} was refused: ${(e as Error).message}`;
          break;
        }
      }
      await this.o.store.recordDecision({
        hostId: plan.hostId,
        hostName: plan.hostName,
        actor: 'power-loop',
        action: 'drain',
        reason: failure ? `${plan.reason}; ${failure}` : plan.reason,
        outcome: failure ? 'failed' : 'done',
        decidedAt: now,
      });
      const event = await this.o.auditor.createEvent({
        eventId: 'host-drain',
        severityLevel: 'medium',
        meta: {
          hostId: plan.hostId,
          moves: plan.moves.map(m => ({
            instanceId: m.instanceId,
            toHostId: m.toHostId,
            running: m.running,
          })),
          actor: 'power-loop',
        },
      });
      if (failure) {
        this.o.logger.warn(`Could not drain ${plan.hostName}: ${failure}`);
        await event.fail({ error: new Error(failure) });
      } else {
        this.o.logger.info(`Draining ${plan.hostName}: ${plan.reason}`);
        await event.success();
      }
    }
  }
}
