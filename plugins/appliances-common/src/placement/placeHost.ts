import { describeSize } from '../appliances/minimumSize';
import { DEFAULT_CURRENCY } from '../money/currency';
import { formatMoney } from '../money/formatMoney';
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
  /** Tempest can power it on over its BMC: a powered-off, offline host is then still a candidate. */
  canPowerOn?: boolean;
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
  /** The installation currency, for the wording of prices (default EUR). */
  currency?: string;
  /** Hosts already tried (a host that did not come up after power-on). */
  excludeHostIds?: readonly string[];
};

export type PlacementRejection = {
  hostId: string;
  hostName: string;
  reason:
    | 'offline'
    | 'maintenance'
    | 'tried'
    | 'cpu'
    | 'memory'
    | 'storage'
    | 'price'
    /** A running instance moves live only to a host on its own network. */
    | 'network';
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

function unavailableDetail(host: PlacementHost): string {
  if (host.state === 'maintenance') return 'is in maintenance';
  if (host.poweredOn) return 'is offline';
  return 'is powered off and has no BMC Tempest can reach';
}

/** A powered-off host wins only when no powered-on host fits. */
const POWERED_OFF_PENALTY = 10;

const UNITS = {
  cpu: (n: number) => `${n} ${n === 1 ? 'core' : 'cores'}`,
  memory: (n: number) => `${n.toLocaleString('en')} MB memory`,
  storage: (n: number) => `${n.toLocaleString('en')} MB storage`,
};

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
  let misfit: ['cpu' | 'memory' | 'storage', number] = ['storage', freeStorage];
  if (demand.cpuCores > freeCores) {
    misfit = ['cpu', freeCores];
  } else if (demand.memoryMb > freeMemory) {
    misfit = ['memory', freeMemory];
  }
  const [reason, free] = misfit;
  return {
    hostId: host.id,
    hostName: host.name,
    reason,
    detail: `has only ${UNITS[reason](Math.max(0, free))} free`,
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
  const money = (minor: number) =>
    formatMoney(minor, request.currency ?? DEFAULT_CURRENCY, 'en');
  const rejected: PlacementRejection[] = [];
  let best:
    { host: PlacementHost; score: number; price: LockedPrice } | undefined;
  let candidates = 0;

  for (const host of hosts) {
    if (request.hostId !== undefined && host.id !== request.hostId) {
      continue;
    }
    if (request.excludeHostIds?.includes(host.id)) {
      rejected.push({
        hostId: host.id,
        hostName: host.name,
        reason: 'tried',
        detail: 'did not come up after being powered on',
      });
      continue;
    }
    // A host that is off is offline; it is a candidate when it can be powered on.
    const startable =
      host.state === 'offline' && !host.poweredOn && host.canPowerOn;
    if (host.state !== 'online' && !startable) {
      rejected.push({
        hostId: host.id,
        hostName: host.name,
        reason: host.state,
        detail: unavailableDetail(host),
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
        detail: `has prices for this size beyond ${money(MAX_MINOR)}, the most Tempest charges`,
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
        detail: `costs ${money(hourlyPriceMinor(price))} per hour, over the limit of ${money(request.maxPricePerHourMinor)}`,
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
      summary: `There is no host '${request.hostId}'.`,
    };
  }

  return {
    chosen,
    rejected,
    candidates,
    summary: chosen
      ? describeChoice(chosen, candidates, money, request.hostId !== undefined)
      : describeNoFit(request, rejected, money),
  };
}

/** `Placed on rack1 for €0.10 per hour: the best fit of the 3 hosts that can run it.` */
function describeChoice(
  chosen: PlacementChoice,
  candidates: number,
  money: (minor: number) => string,
  picked: boolean,
): string {
  const host = chosen.poweredOn
    ? chosen.hostName
    : `${chosen.hostName} (powered on for it)`;
  // A host picked from the offers is the only one considered, not the only one that fits.
  let fit = `the best fit of the ${candidates} hosts that can run it`;
  if (picked) fit = 'the host picked for it';
  else if (candidates === 1) fit = 'the only host that can run it';
  return `Placed on ${host} for ${money(chosen.pricePerHourMinor)} per hour: ${fit}.`;
}

/** `No host can run 2 cores, … within €0.10 per hour: rack1 is offline; rack2 has only 1 core free.` */
function describeNoFit(
  request: PlacementRequest,
  rejected: PlacementRejection[],
  money: (minor: number) => string,
): string {
  const limit =
    request.maxPricePerHourMinor === undefined
      ? ''
      : ` within ${money(request.maxPricePerHourMinor)} per hour`;
  const what = `No host can run ${describeSize(request.demand)}${limit}`;
  if (!rejected.length) return `${what}: no host is registered yet.`;
  const shown = rejected.slice(0, 5).map(r => `${r.hostName} ${r.detail}`);
  if (rejected.length > shown.length)
    shown.push(`${rejected.length - shown.length} more hosts cannot either`);
  return `${what}: ${shown.join('; ')}.`;
}
