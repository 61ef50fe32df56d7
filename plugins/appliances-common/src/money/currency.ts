/** The currency an installation runs in when `tempest.currency` is not set. */
export const DEFAULT_CURRENCY = 'EUR';

/**
 * The installation currency from `tempest.currency` (an ISO 4217 code; the
 * embedded default EUR). Throws a message naming the key for anything Intl
 * does not know as a currency, so a bad value stops start-up.
 */
export function readCurrency(config: {
  getOptionalString(key: string): string | undefined;
}): string {
  const value = config.getOptionalString('tempest.currency');
  if (value === undefined) return DEFAULT_CURRENCY;
  if (!/^[A-Z]{3}$/.test(value) || !isKnownCurrency(value)) {
    throw new Error(
      `tempest.currency must be an ISO 4217 currency code such as EUR, USD or JPY; got '${value}'`,
    );
  }
  return value;
}

function isKnownCurrency(code: string): boolean {
  const supported = (
    Intl as unknown as { supportedValuesOf?: (key: string) => string[] }
  ).supportedValuesOf?.('currency');
  return supported ? supported.includes(code) : true;
}
