import {
  currencyMinorDigits,
  currencySymbol,
  formatMoney,
  formatPeriod,
  formatPrice,
  minorToDecimalString,
  parseMoneyInput,
} from './formatMoney';
import { readCurrency } from './currency';

// Intl separates some symbols with a no-break space.
const plain = (text: string) => text.replace(/\u00a0/g, ' ');

describe('formatMoney', () => {
  it('writes minor units in the currency’s own number of digits', () => {
    expect(formatMoney(1050, 'EUR', 'en')).toBe('€10.50');
    expect(formatMoney(5, 'EUR', 'en')).toBe('€0.05');
    expect(formatMoney(1050, 'JPY', 'en')).toBe('¥1,050');
    expect(plain(formatMoney(1050, 'BHD', 'en'))).toBe('BHD 1.050');
    expect(formatMoney(-7, 'USD', 'en')).toBe('-$0.07');
    expect(plain(formatMoney(123456, 'EUR', 'de-DE'))).toBe('1.234,56 €');
  });

  it('is exact beyond what a float holds', () => {
    expect(formatMoney(9007199254740991, 'EUR', 'en')).toBe(
      '€90,071,992,547,409.91',
    );
    expect(formatMoney(12345678901234567890n, 'USD', 'en')).toBe(
      '$123,456,789,012,345,678.90',
    );
    expect(minorToDecimalString(1, 3)).toBe('0.001');
    expect(minorToDecimalString(-1200, 0)).toBe('-1200');
  });

  it('refuses a fractional number of minor units rather than rounding it', () => {
    expect(() => formatMoney(1.5, 'EUR')).toThrow(/whole number/);
  });

  it('writes a price per period one way', () => {
    expect(formatPrice(10, 'EUR', 3600, 'en')).toBe('€0.10 per hour');
    expect(formatPrice(3, 'EUR', 86400, 'en')).toBe('€0.03 per day');
    expect(formatPeriod(7200)).toBe('2 hours');
    expect(formatPeriod(90)).toBe('90 seconds');
    expect(formatPeriod(60)).toBe('minute');
  });

  it('reads a typed amount into minor units without floats', () => {
    expect(parseMoneyInput('0.1', 'EUR')).toBe(10);
    expect(parseMoneyInput('12,34', 'EUR')).toBe(1234);
    expect(parseMoneyInput('7', 'EUR')).toBe(700);
    expect(parseMoneyInput('1050', 'JPY')).toBe(1050);
    expect(parseMoneyInput('1.5', 'JPY')).toBeUndefined();
    expect(parseMoneyInput('0.001', 'EUR')).toBeUndefined();
    expect(parseMoneyInput('-1', 'EUR')).toBeUndefined();
    expect(parseMoneyInput('abc', 'EUR')).toBeUndefined();
    expect(currencyMinorDigits('BHD')).toBe(3);
    expect(currencySymbol('EUR', 'en')).toBe('€');
  });
});

describe('readCurrency', () => {
  const config = (value?: string) => ({ getOptionalString: () => value });

  it('defaults to EUR and accepts ISO 4217 codes', () => {
    expect(readCurrency(config())).toBe('EUR');
    expect(readCurrency(config('JPY'))).toBe('JPY');
  });

  it('names the key when the code is not a currency', () => {
    expect(() => readCurrency(config('eur'))).toThrow(/tempest\.currency/);
    expect(() => readCurrency(config('ZZZ'))).toThrow(/got 'ZZZ'/);
  });
});
