import { ResponseError } from '@backstage/errors';
import type { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';

export type Account = AppliancesApiComponents['schemas']['Account'];
export type LedgerLine = AppliancesApiComponents['schemas']['LedgerLine'];
export type Offer = AppliancesApiComponents['schemas']['Offer'];
export type HostIncome = AppliancesApiComponents['schemas']['HostIncome'];
export type MarketPrice = AppliancesApiComponents['schemas']['MarketPrice'];

type Deps = {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
};

async function get(deps: Deps, path: string, accept = 'application/json') {
  const base = await deps.discoveryApi.getBaseUrl('appliances');
  const res = await deps.fetchApi.fetch(`${base}${path}`, {
    headers: { accept },
  });
  if (!res.ok) throw await ResponseError.fromResponse(res);
  return res;
}

/** Accounts and their ledgers, as the caller may see them. */
export function billingApi(deps: Deps) {
  return {
    listAccounts: async () =>
      ((await (await get(deps, '/accounts')).json()) as { items: Account[] })
        .items,
    /** The newest ledger lines, up to `max`, and whether there were more. */
    ledger: async (id: string, max = 2000) => {
      const lines: LedgerLine[] = [];
      let before: number | undefined;
      for (;;) {
        const page = (await (
          await get(
            deps,
            `/accounts/${encodeURIComponent(id)}/ledger?limit=500${before ? `&before=${before}` : ''}`,
          )
        ).json()) as { items: LedgerLine[]; nextBefore?: number };
        lines.push(...page.items);
        if (!page.nextBefore) return { lines, truncated: false };
        if (lines.length >= max) return { lines, truncated: true };
        before = page.nextBefore;
      }
    },
    /** What the account earned as a provider, per host, most first. */
    incomeByHost: async (id: string) =>
      (
        (await (
          await get(deps, `/accounts/${encodeURIComponent(id)}/income-by-host`)
        ).json()) as { items: HostIncome[] }
      ).items,
    /** Every host's offer; for a size, whether it fits and its cost per hour, cheapest first. */
    offers: async (size: {
      cpuCores: number;
      memoryMb: number;
      storageMb: number;
    }) =>
      (
        (await (
          await get(
            deps,
            `/offers?cpuCores=${size.cpuCores}&memoryMb=${size.memoryMb}&storageMb=${size.storageMb}`,
          )
        ).json()) as { items: Offer[] }
      ).items,
    /** The market average for an appliance's standard configuration, if computed yet. */
    marketPrice: async (applianceId: string) =>
      (
        (await (
          await get(
            deps,
            `/market-prices?applianceId=${encodeURIComponent(applianceId)}`,
          )
        ).json()) as { items: MarketPrice[] }
      ).items.find(m => m.applianceId === applianceId),
    /** Admins: negates a ledger transaction of the account, saying why. */
    reverse: async (id: string, transactionId: number, reason: string) => {
      const base = await deps.discoveryApi.getBaseUrl('appliances');
      const res = await deps.fetchApi.fetch(
        `${base}/accounts/${encodeURIComponent(id)}/ledger/${transactionId}/reversal`,
        {
          method: 'POST',
          headers: {
            accept: 'application/json',
            'content-type': 'application/json',
          },
          body: JSON.stringify({ reason }),
        },
      );
      if (!res.ok) throw await ResponseError.fromResponse(res);
      return (await res.json()) as {
        transactionId: number;
        reversesTransactionId: number;
        created: boolean;
        account: Account;
      };
    },
    ledgerCsv: async (id: string) =>
      (
        await get(
          deps,
          `/accounts/${encodeURIComponent(id)}/ledger`,
          'text/csv',
        )
      ).blob(),
  };
}

const isCharge = (l: LedgerLine) =>
  l.kind === 'storage' || l.kind === 'running';
/**
 * A reversal of a charge: a credit here undoes this account's spend (it was
 * the payer), a debit undoes its income (it was the provider).
 */
const isChargeReversal = (l: LedgerLine) =>
  l.kind === 'reversal' && !!l.instanceId;

/** Spend (debits for storage and running, less their reversals) per time bucket, oldest first. */
export function spendOverTime(lines: LedgerLine[], bucketMs: number) {
  const buckets = new Map<number, number>();
  for (const l of lines) {
    const spendOrRefund =
      (isCharge(l) && l.amountMinor < 0) ||
      (isChargeReversal(l) && l.amountMinor > 0);
    if (!spendOrRefund) continue;
    // By the period charged, not the moment the task ran.
    const at =
      Math.floor(Date.parse(l.periodStart ?? l.at) / bucketMs) * bucketMs;
    buckets.set(at, (buckets.get(at) ?? 0) - l.amountMinor);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([at, spentMinor]) => ({ at, spentMinor }));
}

/** What a ledger line is, in words. */
export function describeLedgerLine(l: LedgerLine): string {
  const instance = l.instanceHostname ?? l.instanceId;
  let what: string;
  if (l.kind === 'top-up') what = `Top-up ${l.reference ?? ''}`.trim();
  else if (l.kind === 'reversal')
    what = `Reversal of #${l.reversesTransactionId}${
      instance ? ` (${instance})` : ''
    }: ${l.reason ?? ''}`;
  else what = `${l.kind === 'running' ? 'Running' : 'Storage'} of ${instance}`;
  return l.reversedByTransactionId
    ? `${what} — reversed by #${l.reversedByTransactionId}`
    : what;
}

/** Whether an admin may reverse the line: not a reversal, not reversed yet. */
export const isReversible = (l: LedgerLine) =>
  l.kind !== 'reversal' && !l.reversedByTransactionId;

/** A bucket that gives a readable chart for the lines' time span. */
export function bucketFor(lines: LedgerLine[]): number {
  if (!lines.length) return 60_000;
  const times = lines.map(l => Date.parse(l.at));
  const span = Math.max(...times) - Math.min(...times);
  if (span <= 3 * 3600_000) return 60_000;
  if (span <= 3 * 86400_000) return 3600_000;
  return 86400_000;
}

/** Per instance: what it cost this account (debits) or earned it (credits), net of reversals. */
export function totalsByInstance(lines: LedgerLine[]) {
  const totals = new Map<
    string,
    {
      instanceId: string;
      /** Its hostname (kept after deletion); the id when the line has none. */
      name: string;
      spentMinor: number;
      earnedMinor: number;
    }
  >();
  for (const l of lines) {
    if (!(isCharge(l) || isChargeReversal(l)) || !l.instanceId) continue;
    const t = totals.get(l.instanceId) ?? {
      instanceId: l.instanceId,
      name: l.instanceHostname ?? l.instanceId,
      spentMinor: 0,
      earnedMinor: 0,
    };
    if (isCharge(l)) {
      if (l.amountMinor < 0) t.spentMinor -= l.amountMinor;
      else t.earnedMinor += l.amountMinor;
    } else if (l.amountMinor > 0) t.spentMinor -= l.amountMinor;
    else t.earnedMinor += l.amountMinor;
    totals.set(l.instanceId, t);
  }
  return [...totals.values()].sort(
    (a, b) => b.spentMinor + b.earnedMinor - (a.spentMinor + a.earnedMinor),
  );
}

/** `group:default/team-a` → `team-a (group)`; platform accounts by their role. */
export function accountName(owner: string): string {
  const match = /^(user|group):[^/]+\/(.+)$/.exec(owner);
  if (match) return `${match[2]} (${match[1]})`;
  if (owner === 'tempest:platform-fees') return 'Platform fees';
  if (owner === 'tempest:top-ups') return 'Top-ups (funding)';
  return owner;
}
