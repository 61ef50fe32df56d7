/**
 * Money in Tempest is an integer amount of the installation currency's minor
 * units (cents for EUR, yen for JPY, fils for BHD). This is the one place it
 * becomes text: `Intl.NumberFormat` in the currency's own number of minor
 * digits, fed an exact decimal string so no float ever rounds an amount.
 */

const digitsCache = new Map<string, number>();

/** How many minor digits the currency has, as Intl knows it (EUR 2, JPY 0, BHD 3). */
export function currencyMinorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits =
      new Intl.NumberFormat('en', {
        style: 'currency',
        currency,
      }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** `12345`, 2 digits → `"123.45"`; exact for any integer, however large. */
export function minorToDecimalString(
  amountMinor: number | bigint,
  digits: number,
): string {
  if (typeof amountMinor === 'number' && !Number.isSafeInteger(amountMinor)) {
    throw new RangeError(
      `An amount of money must be a whole number of minor units; got ${amountMinor}`,
    );
  }
  const value = BigInt(amountMinor);
  const negative = value < 0n;
  const text = (negative ? -value : value).toString().padStart(digits + 1, '0');
  const whole = digits ? text.slice(0, -digits) : text;
  const fraction = digits ? `.${text.slice(-digits)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * `formatMoney(1050, 'EUR', 'en')` → `€10.50`; `formatMoney(1050, 'JPY', 'en')` → `¥1,050`.
 * Without a locale, the browser's (or the process's) is used.
 */
const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(
  amountMinor: number | bigint,
  currency: string,
  locale?: string,
): string {
  const digits = currencyMinorDigits(currency);
  const key = `${currency}|${locale ?? ''}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    formats.set(key, format);
  }
  // Intl formats a decimal string exactly (ECMA-402 "Intl.NumberFormat v3").
  return format.format(
    minorToDecimalString(amountMinor, digits) as unknown as number,
  );
}

const PERIODS: Array<[number, string]> = [
  [604800, 'week'],
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** `3600` → `hour`, `7200` → `2 hours`, `90` → `90 seconds`. */
export function formatPeriod(seconds: number): string {
  for (const [size, name] of PERIODS) {
    if (seconds % size === 0) {
      const count = seconds / size;
      return count === 1 ? name : `${count} ${name}s`;
    }
  }
  return `${seconds} seconds`;
}

/** `formatPrice(10, 'EUR', 3600, 'en')` → `€0.10 per hour`: the one way Tempest writes a price. */
export function formatPrice(
  amountMinor: number | bigint,
  currency: string,
  periodSeconds: number,
  locale?: string,
): string {
  return `${formatMoney(amountMinor, currency, locale)} per ${formatPeriod(periodSeconds)}`;
}

/**
 * The other direction, for forms: `"0.1"` in EUR → `10`. Returns undefined
 * for anything that is not a non-negative amount with at most the
 * currency's minor digits. String arithmetic only: no float rounds it.
 */
export function parseMoneyInput(
  text: string,
  currency: string,
): number | undefined {
  const digits = currencyMinorDigits(currency);
  const match = /^\s*(\d{1,15})(?:[.,](\d*))?\s*$/.exec(text);
  if (!match) return undefined;
  const [, whole, fraction = ''] = match;
  if (fraction.length > digits) return undefined;
  const minor = Number(`${whole}${fraction.padEnd(digits, '0')}`);
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/** `EUR` → `€`, `CHF` → `CHF`: the symbol to put beside an amount being typed. */
export function currencySymbol(currency: string, locale?: string): string {
  return (
    new Intl.NumberFormat(locale, { style: 'currency', currency })
      .formatToParts(0)
      .find(part => part.type === 'currency')?.value ?? currency
  );
}
