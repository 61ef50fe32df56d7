import { ApplianceKey } from '../database/ApplianceStore';
import { compareVersions } from '../channels/versions';

/**
 * Every subscribed appliance by what it provides, newest first: marks the
 * newest version of each service and resolves dependencies across channels.
 * A dependency `name` takes the newest appliance providing `name`;
 * `name:version` takes the newest providing `name` at that version or later.
 */
export class ApplianceIndex {
  private readonly byProvides = new Map<string, ApplianceKey[]>();

  constructor(keys: ApplianceKey[]) {
    for (const key of keys) {
      const list = this.byProvides.get(key.provides) ?? [];
      list.push(key);
      this.byProvides.set(key.provides, list);
    }
    for (const list of this.byProvides.values()) {
      list.sort(
        (a, b) =>
          compareVersions(b.version, a.version) || a.id.localeCompare(b.id),
      );
    }
  }

  /** All versions of a service, newest first, from every channel. */
  versionsOf(provides: string): ApplianceKey[] {
    return this.byProvides.get(provides) ?? [];
  }

  /** Whether no other appliance provides the same service at a newer version. */
  isLatest(key: Pick<ApplianceKey, 'provides' | 'version'>): boolean {
    const newest = this.versionsOf(key.provides)[0];
    return !newest || compareVersions(key.version, newest.version) >= 0;
  }

  resolve(dependency: {
    name: string;
    version?: string;
  }): ApplianceKey | undefined {
    return this.versionsOf(dependency.name).find(
      candidate =>
        !dependency.version ||
        compareVersions(candidate.version, dependency.version) >= 0,
    );
  }
}
