import type { HostPricing } from '../../hosting/hostingApi';

type PriceWriter = (amountMinor: number, periodSeconds: number) => string;

/**
 * A host's prices as three lines a buyer reads:
 * `€0.02 per hour for each 1,000 MHz of CPU`, and so on.
 */
export function describeHostPricing(
  pricing: HostPricing,
  price: PriceWriter,
): string[] {
  const n = (value: number) => value.toLocaleString();
  return [
    `${price(pricing.speedPriceMinor, pricing.runningPeriodSeconds)} for each ${n(pricing.speedUnitMhz)} MHz of CPU`,
    `${price(pricing.memoryPriceMinor, pricing.runningPeriodSeconds)} for each ${n(pricing.memoryUnitMb)} MB of memory`,
    `${price(pricing.storagePriceMinor, pricing.storagePeriodSeconds)} for each ${n(pricing.storageUnitMb)} MB of storage`,
  ];
}
