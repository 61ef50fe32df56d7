import {
  HostPricing,
  LockedPrice,
  MAX_MINOR,
  ResourceDemand,
  hourlyPriceMinor,
  priceInstance,
  withinHourlyPrice,
} from '../pricing/pricing';

export type PlacementHostState = 'online' | 'offline' | 'maintenance';

/** What placement needs to know of a host. */
export type PlacementHost = {
  id: string;
  name: string;
  state: PlacementHostState;
  poweredOn: boolean;
  coreSpeedMhz: number;
  capacity: ResourceDemand;
  used: ResourceDemand;
  pricing: HostPricing;
};

export type PlacementRequest = {
  demand: ResourceDemand;
  /** The most the buyer pays for an hour of running plus storage, in minor units. */
  maxPricePerHourMinor?: number;
  /** Place on this host or nowhere. */
  hostId?: string;
};

export type PlacementRejection = {
  hostId: string;
  hostName: string;
  reason: 'offline' | 'maintenance' | 'cpu' | 'memory' | 'storage' | 'price';
  detail: string;
};

export type PlacementChoice = {
  hostId: string;
  hostName: string;
  /** Lower is better: the share of the host left free after placing, plus a penalty for a powered-off host. */
  score: number;
  poweredOn: boolean;
  price: LockedPrice;
  pricePerHourMinor: number;
};

export type PlacementDecision = {
  chosen?: PlacementChoice;
  /** Why the other hosts were not chosen (hosts that fit but scored worse are not listed). */
  rejected: PlacementRejection[];
  /** How many hosts fitted. */
  candidates: number;
  summary: string;
};

/** A powered-off host wins only when no powered-on host fits. */
const POWERED_OFF_PENALTY = 10;

function fitRejection(
  host: PlacementHost,
  demand: ResourceDemand,
): PlacementRejection | undefined {
  const freeCores = host.capacity.cpuCores - host.used.cpuCores;
  const freeMemory = host.capacity.memoryMb - host.used.memoryMb;
  const freeStorage = host.capacity.storageMb - host.used.storageMb;
  if (
    demand.cpuCores <= freeCores &&
    demand.memoryMb <= freeMemory &&
    demand.storageMb <= freeStorage
  ) {
    return undefined;
  }
  let misfit: [PlacementRejection['reason'], number, number, string] = [
    'storage',
    demand.storageMb,
    freeStorage,
    'MB storage',
  ];
  if (demand.cpuCores > freeCores) {
    misfit = ['cpu', demand.cpuCores, freeCores, 'cores'];
  } else if (demand.memoryMb > freeMemory) {
    misfit = ['memory', demand.memoryMb, freeMemory, 'MB memory'];
  }
  const [reason, need, free, label] = misfit;
  return {
    hostId: host.id,
    hostName: host.name,
    reason,
    detail: `needs ${need} ${label}, ${free} free`,
  };
}

/**
 * Best-fit placement: among online hosts that fit the demand and the buyer's
 * price, prefer powered-on hosts and, among them, the one left fullest, so
 * that load packs onto few hosts and idle ones can be switched off.
 */
export function placeHost(
  hosts: readonly PlacementHost[],
  request: PlacementRequest,
): PlacementDecision {
  const { demand } = request;
  const rejected: PlacementRejection[] = [];
  let best:
    { host: PlacementHost; score: number; price: LockedPrice } | undefined;
  let candidates = 0;

  for (const host of hosts) {
    if (request.hostId !== undefined && host.id !== request.hostId) {
      continue;
    }
    if (host.state !== 'online') {
      rejected.push({
        hostId: host.id,
        hostName: host.name,
        reason: host.state,
        detail: `host is ${host.state}`,
      });
      continue;
    }
    const misfit = fitRejection(host, demand);
    if (misfit) {
      rejected.push(misfit);
      continue;
    }
    // A host whose price for this demand passes what can be charged exactly is passed by.
    const price = priceInstance(host.pricing, host.coreSpeedMhz, demand);
    if (!price) {
      rejected.push({
        hostId: host.id,
        hostName: host.name,
        reason: 'price',
        detail: `its prices for this size pass ${MAX_MINOR}, the most Tempest charges`,
      });
      continue;
    }
    if (
      request.maxPricePerHourMinor !== undefined &&
      !withinHourlyPrice(price, request.maxPricePerHourMinor)
    ) {
      rejected.push({
        hostId: host.id,
        hostName: host.name,
        reason: 'price',
        detail: `costs ${hourlyPriceMinor(price)} per hour, limit ${request.maxPricePerHourMinor}`,
      });
      continue;
    }
    candidates++;
    const left =
      (host.capacity.cpuCores - host.used.cpuCores - demand.cpuCores) /
        host.capacity.cpuCores +
      (host.capacity.memoryMb - host.used.memoryMb - demand.memoryMb) /
        host.capacity.memoryMb +
      (host.capacity.storageMb - host.used.storageMb - demand.storageMb) /
        host.capacity.storageMb;
    const score = left / 3 + (host.poweredOn ? 0 : POWERED_OFF_PENALTY);
    if (!best || score < best.score) {
      best = { host, score, price };
    } else if (score === best.score) {
      if (hourlyPriceMinor(price) < hourlyPriceMinor(best.price)) {
        best = { host, score, price };
      }
    }
  }

  let chosen: PlacementChoice | undefined;
  if (best) {
    const price = best.price;
    chosen = {
      hostId: best.host.id,
      hostName: best.host.name,
      score: best.score,
      poweredOn: best.host.poweredOn,
      price,
      pricePerHourMinor: hourlyPriceMinor(price),
    };
  }

  if (
    request.hostId !== undefined &&
    !hosts.some(h => h.id === request.hostId)
  ) {
    return {
      rejected,
      candidates: 0,
      summary: `Requested host ${request.hostId} does not exist`,
    };
  }

  const limit =
    request.maxPricePerHourMinor === undefined
      ? ''
      : ` within ${request.maxPricePerHourMinor} per hour`;
  const summary = chosen
    ? `Chose ${chosen.hostName}${chosen.poweredOn ? '' : ' (to be powered on)'}: best fit of ${candidates} fitting host(s), score ${chosen.score.toFixed(3)}, ${chosen.pricePerHourMinor} per hour`
    : `No host fits ${demand.cpuCores} cores, ${demand.memoryMb} MB memory, ${demand.storageMb} MB storage${limit} (${rejected.length} host(s) rejected)`;
  return { chosen, rejected, candidates, summary };
}
