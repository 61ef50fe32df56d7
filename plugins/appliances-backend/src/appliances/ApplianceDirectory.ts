import { NotFoundError } from '@backstage/errors';
import { ApplianceIndex } from './ApplianceIndex';
import {
  ApplianceQuery,
  ApplianceStore,
  StoredAppliance,
} from '../database/ApplianceStore';
import { SignatureState } from '../channels/verifySignature';

/** An appliance as the API shows it: stored fields plus what depends on every channel. */
export type ApplianceView = {
  id: string;
  channel: string;
  provides: string;
  version: string;
  latest: boolean;
  label: string;
  description: string;
  sizeMb: number;
  imageUrl: string;
  signatureUrl?: string;
  signature: { state: SignatureState; provisionable: boolean };
  webpanel?: string;
  hardware: {
    cpus: number;
    memoryKib: number;
    ostype: string;
    disks: StoredAppliance['disks'];
  };
  dependencies: { name: string; version?: string; resolvedId?: string }[];
  unresolvedDependencies: string[];
  /** What provisioning asks for (the template's appliance variables). */
  variables: StoredAppliance['variables'];
  definitionUrl: string;
  ingestedAt: string;
};

export type ApplianceDetailView = ApplianceView & {
  versions: { id: string; channel: string; version: string; latest: boolean }[];
};

// Other replicas ingest too; a short-lived index keeps list pages cheap
// without serving stale resolution for long.
const INDEX_TTL_MS = 2000;

/** Reads appliances with their newest-version mark and resolved dependencies. */
export class ApplianceDirectory {
  private cached?: { at: number; index: Promise<ApplianceIndex> };

  constructor(
    private readonly store: ApplianceStore,
    private readonly options: {
      allowUnsigned: boolean;
      onChanged?: () => void;
    },
  ) {}

  /** Drops the cached index and tells listeners; called after this replica changed appliances. */
  invalidate() {
    this.cached = undefined;
    this.options.onChanged?.();
  }

  private index(): Promise<ApplianceIndex> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > INDEX_TTL_MS) {
      // A failed read is not cached: callers get its error, the next call reads again.
      const index = this.store.listKeys().then(
        keys => new ApplianceIndex(keys),
        (error: unknown) => {
          this.cached = undefined;
          throw error;
        },
      );
      this.cached = { at: now, index };
    }
    return this.cached.index;
  }

  isProvisionable(state: SignatureState): boolean {
    return (
      state === 'verified' ||
      state === 'trusted-signer' ||
      this.options.allowUnsigned
    );
  }

  private view(a: StoredAppliance, index: ApplianceIndex): ApplianceView {
    const dependencies = a.dependencies.map(d => ({
      ...d,
      resolvedId: index.resolve(d, a)?.id,
    }));
    return {
      id: a.id,
      channel: a.channelId,
      provides: a.provides,
      version: a.version,
      latest: index.isLatest(a),
      label: a.label,
      description: a.description,
      sizeMb: a.sizeMb,
      imageUrl: a.imageUrl,
      signatureUrl: a.signatureUrl,
      signature: {
        state: a.signatureState,
        provisionable: this.isProvisionable(a.signatureState),
      },
      webpanel: a.webpanel,
      hardware: {
        cpus: a.cpus,
        memoryKib: a.memoryKib,
        ostype: a.ostype,
        disks: a.disks,
      },
      dependencies,
      unresolvedDependencies: dependencies
        .filter(d => !d.resolvedId)
        .map(d => (d.version ? `${d.name}:${d.version}` : d.name)),
      variables: a.variables,
      definitionUrl: a.definitionUrl,
      ingestedAt: a.ingestedAt,
    };
  }

  async list(query: ApplianceQuery) {
    const [{ items, totalCount }, index] = await Promise.all([
      this.store.query(query),
      this.index(),
    ]);
    return { items: items.map(a => this.view(a, index)), totalCount };
  }

  async get(id: string): Promise<ApplianceDetailView> {
    const stored = await this.store.get(id);
    if (!stored) throw new NotFoundError(`No appliance '${id}'`);
    const index = await this.index();
    return {
      ...this.view(stored, index),
      versions: index.versionsOf(stored.provides).map(v => ({
        id: v.id,
        channel: v.channelId,
        version: v.version,
        latest: index.isLatest(v),
      })),
    };
  }
}
