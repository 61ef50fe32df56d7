import { ApplianceKey } from '../database/ApplianceStore';
import { compareVersions } from '../channels/versions';

/** Signed by a key its channel trusts (checked at ingest, or by the agent at install). */
function isSigned(key: Pick<ApplianceKey, 'signatureState'>): boolean {
  return (
    key.signatureState === 'verified' || key.signatureState === 'trusted-signer'
  );
}

/** Newest first; at equal versions a signed appliance before an unsigned one. */
function newestFirst(a: ApplianceKey, b: ApplianceKey): number {
  return (
    compareVersions(b.version, a.version) ||
    Number(isSigned(b)) - Number(isSigned(a)) ||
    a.id.localeCompare(b.id)
  );
}

/**
 * Every subscribed appliance by what it provides. A channel speaks only for
 * itself: `latest` is the newest version of a service within the
 * appliance's own channel, so a new channel can never change another's.
 * Dependencies resolve across channels, preferring the dependent
 * appliance's own channel, then signed appliances, then the newest: an
 * unsigned item elsewhere cannot take over what a trusted appliance runs on.
 */
export class ApplianceIndex {
  private readonly byProvides = new Map<string, ApplianceKey[]>();
  /** `<channel> <provides>` → the newest version there. */
  private readonly newestInChannel = new Map<string, string>();

  constructor(keys: ApplianceKey[]) {
    for (const key of keys) {
      const list = this.byProvides.get(key.provides) ?? [];
      list.push(key);
      this.byProvides.set(key.provides, list);
      const slot = `${key.channelId} ${key.provides}`;
      const newest = this.newestInChannel.get(slot);
      if (newest === undefined || compareVersions(key.version, newest) > 0)
        this.newestInChannel.set(slot, key.version);
    }
    for (const list of this.byProvides.values()) list.sort(newestFirst);
  }

  /** All versions of a service, newest first (signed first at equal versions), from every channel. */
  versionsOf(provides: string): ApplianceKey[] {
    return this.byProvides.get(provides) ?? [];
  }

  /** Whether its own channel has no newer version of the same service. */
  isLatest(
    key: Pick<ApplianceKey, 'channelId' | 'provides' | 'version'>,
  ): boolean {
    const newest = this.newestInChannel.get(`${key.channelId} ${key.provides}`);
    return newest === undefined || compareVersions(key.version, newest) >= 0;
  }

  /**
   * The appliance a dependency of `from` runs on: among those providing
   * `name` at `version` or later, one from `from`'s channel, else a signed
   * one, else the newest.
   */
  resolve(
    dependency: { name: string; version?: string },
    from?: Pick<ApplianceKey, 'channelId'>,
  ): ApplianceKey | undefined {
    let best: ApplianceKey | undefined;
    let bestRank = -1;
    // versionsOf is newest first, so the first of each rank is the one to keep.
    for (const candidate of this.versionsOf(dependency.name)) {
      if (
        dependency.version &&
        compareVersions(candidate.version, dependency.version) < 0
      )
        continue;
      const rank =
        (from && candidate.channelId === from.channelId ? 2 : 0) +
        (isSigned(candidate) ? 1 : 0);
      if (rank > bestRank) {
        best = candidate;
        bestRank = rank;
      }
    }
    return best;
  }
}
