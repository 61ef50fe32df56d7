import {
  LockedPrice,
  PlacementHost,
  ResourceDemand,
  hourlyPriceMinor,
  placeHost,
  priceInstance,
} from '@tempest/backstage-plugin-appliances-common';

/** What a buyer may know of a host: its provider, prices and free room, not its internals. */
export type Offer = {
  hostId: string;
  hostName: string;
  provider: string;
  state: string;
  coreSpeedMhz: number;
  pricing: PlacementHost['pricing'];
  free: ResourceDemand;
  /** For a requested size: whether it fits, and what it costs per hour. */
  fits?: boolean;
  runningPerHourMinor?: number;
  storagePerHourMinor?: number;
  perHourMinor?: number;
  /** The host Tempest's placement would choose. */
  placementChoice?: boolean;
};

const perHour = (priceMinor: number, periodSeconds: number) =>
  Math.ceil((priceMinor * 3600) / periodSeconds);

/** Running and storage cost per hour of a locked price, separately and in total. */
export function hourlyParts(price: LockedPrice) {
  return {
    runningPerHourMinor: perHour(
      price.runningPriceMinor,
      price.runningPeriodSeconds,
    ),
    storagePerHourMinor: perHour(
      price.storagePriceMinor,
      price.storagePeriodSeconds,
    ),
    perHourMinor: hourlyPriceMinor(price),
  };
}

export function freeOf(host: PlacementHost): ResourceDemand {
  return {
    cpuCores: Math.max(0, host.capacity.cpuCores - host.used.cpuCores),
    memoryMb: Math.max(0, host.capacity.memoryMb - host.used.memoryMb),
    storageMb: Math.max(0, host.capacity.storageMb - host.used.storageMb),
  };
}

/** Online, or off with a BMC placement may power it on by (as placeHost takes it). */
export function placeable(host: PlacementHost): boolean {
  return (
    host.state === 'online' ||
    (host.state === 'offline' && !host.poweredOn && !!host.canPowerOn)
  );
}

export function fitsOn(host: PlacementHost, demand: ResourceDemand): boolean {
  const free = freeOf(host);
  return (
    placeable(host) &&
    free.cpuCores >= demand.cpuCores &&
    free.memoryMb >= demand.memoryMb &&
    free.storageMb >= demand.storageMb
  );
}

/**
 * The providers' offers: every host placement could use (online, or off
 * and able to be powered on), and for a size, whether it fits
 * and its price per hour, the fitting ones first, cheapest first, with
 * Tempest's own placement choice marked.
 */
export function listOffers(
  hosts: PlacementHost[],
  providers: Map<string, string>,
  demand?: ResourceDemand,
): Offer[] {
  const chosen = demand ? placeHost(hosts, { demand }).chosen : undefined;
  const offers: Offer[] = hosts.filter(placeable).map(h => {
    const base: Offer = {
      hostId: h.id,
      hostName: h.name,
      provider: providers.get(h.id) ?? '',
      state: h.state,
      coreSpeedMhz: h.coreSpeedMhz,
      pricing: h.pricing,
      free: freeOf(h),
    };
    if (!demand) return base;
    const price = priceInstance(h.pricing, h.coreSpeedMhz, demand);
    return {
      ...base,
      fits: fitsOn(h, demand) && price !== undefined,
      ...(price ? hourlyParts(price) : {}),
      placementChoice: chosen?.hostId === h.id,
    };
  });
  return offers.sort(
    (a, b) =>
      Number(b.fits ?? false) - Number(a.fits ?? false) ||
      (a.perHourMinor ?? 0) - (b.perHourMinor ?? 0) ||
      a.hostName.localeCompare(b.hostName),
  );
}
