import { minorToDecimalString } from '@tempest/backstage-plugin-appliances-common';
import { LedgerLine } from './LedgerReader';

/** The first row of a ledger's CSV export. */
export const LEDGER_CSV_HEADER =
  'transaction,at,kind,instance,hostname,period_start,period_seconds,amount,currency,reference,reverses,reason';

function csvField(value: string | number | undefined, text = false): string {
  if (value === undefined) return '';
  const raw = String(value);
  // Quote what CSV needs quoted; free text cannot start a spreadsheet formula.
  const safe = text && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function ledgerCsvLine(
  l: LedgerLine,
  digits: number,
  currency: string,
): string {
  return [
    l.transactionId,
    l.at,
    l.kind,
    l.instanceId,
    l.instanceHostname,
    l.periodStart,
    l.periodSeconds,
    minorToDecimalString(l.amountMinor, digits),
    currency,
  ]
    .map(v => csvField(v))
    .concat(
      csvField(l.reference, true),
      csvField(l.reversesTransactionId),
      csvField(l.reason, true),
    )
    .join(',');
}
