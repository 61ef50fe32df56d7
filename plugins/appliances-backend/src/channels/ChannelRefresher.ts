import { createHash } from 'node:crypto';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { Dispatcher } from 'undici';
import { Knex } from 'knex';
import type { PublicKey } from 'openpgp';
import { ChannelRecord, ChannelStore } from '../database/ChannelStore';
import { ApplianceStore, StoredAppliance } from '../database/ApplianceStore';
import { FetchError, FetchLimits, fetchLimited } from './fetchLimited';
import { FeedError, FeedItem, parseFeed } from './parseFeed';
import { parseApplianceDefinition } from './parseApplianceDefinition';
import { applianceId } from './applianceId';
import { channelDue } from './channelDue';
import { DefinitionError, ItemError } from './types';
import {
  SignatureState,
  isFromTrustedKey,
  readDetachedSignature,
  readTrustedKeys,
  verifyDetached,
} from './verifySignature';

export type RefresherOptions = {
  db: Knex;
  channels: ChannelStore;
  appliances: ApplianceStore;
  logger: LoggerService;
  auditor?: AuditorService;
  feedLimits: FetchLimits;
  definitionLimits: FetchLimits;
  /** Images up to this size are downloaded and verified at ingest; larger ones at install. */
  verifyImagesUpToBytes: number;
  maxItems: number;
  concurrency: number;
  dispatcher?: Dispatcher;
  /** Called after a refresh stored new appliances. */
  onIngested?: () => void;
};

export type RefreshOutcome =
  | { result: 'not-modified' }
  | { result: 'failed'; error: string }
  | { result: 'ok'; appliances: number; itemErrors: ItemError[] };

const SIGNATURE_LIMITS: Omit<FetchLimits, 'timeoutMs'> = {
  maxBytes: 64 * 1024,
  maxRedirects: 5,
};

async function mapPool<T, R>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from(
    { length: Math.min(concurrency, items.length) },
    async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    },
  );
  await Promise.all(workers);
  return results;
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/**
 * Fetches a channel's feed and definitions, checks signatures, and replaces
 * the channel's appliances in one transaction. A feed that cannot be fetched
 * or parsed changes nothing already ingested; a bad item is reported and
 * skipped; an item whose definition cannot be fetched keeps its last
 * ingested version.
 */
export class ChannelRefresher {
  private readonly running = new Map<string, Promise<RefreshOutcome>>();

  constructor(private readonly options: RefresherOptions) {}

  /** Refreshes one channel; concurrent calls for the same channel share one run. */
  refresh(
    channelId: string,
    opts: { force?: boolean } = {},
  ): Promise<RefreshOutcome> {
    const existing = this.running.get(channelId);
    if (existing) return existing;
    const run = this.run(channelId, opts.force ?? false).finally(() =>
      this.running.delete(channelId),
    );
    this.running.set(channelId, run);
    return run;
  }

  /** Starts a refresh without waiting for it; a refresh that cannot even record its outcome is logged. */
  refreshInBackground(channelId: string): void {
    this.refresh(channelId).catch((e: unknown) =>
      this.options.logger.warn(
        `Channel ${channelId}: background refresh failed: ${e}`,
      ),
    );
  }

  /** Refreshes every channel whose refresh period has passed (failed ones retry sooner). */
  async refreshDue(now = new Date()): Promise<void> {
    for (const channel of await this.options.channels.list()) {
      if (channelDue(channel) <= now) await this.refresh(channel.id);
    }
  }

  private async run(
    channelId: string,
    force: boolean,
  ): Promise<RefreshOutcome> {
    const { channels, logger } = this.options;
    const channel = await channels.get(channelId);
    if (!channel) throw new NotFoundError(`No channel '${channelId}'`);
    const startedAt = new Date();
    try {
      const outcome = await this.ingest(channel, force, startedAt);
      if (outcome.result === 'ok') {
        logger.info(
          `Channel ${channelId}: ${outcome.appliances} appliances, ${outcome.itemErrors.length} item errors`,
        );
      }
      return outcome;
    } catch (e) {
      const error =
        e instanceof FetchError || e instanceof FeedError ? e.message : `${e}`;
      logger.warn(
        `Channel ${channelId}: fetch failed, nothing changed: ${error}`,
      );
      await channels.recordFetch(channelId, startedAt, {
        result: 'failed',
        error,
      });
      return { result: 'failed', error };
    }
  }

  private async ingest(
    channel: ChannelRecord,
    force: boolean,
    at: Date,
  ): Promise<RefreshOutcome> {
    const o = this.options;
    const validators = force ? {} : await o.channels.getValidators(channel.id);
    const feed = await fetchLimited(
      channel.url,
      o.feedLimits,
      validators,
      o.dispatcher,
    );
    if (feed.status === 'not-modified') {
      await o.channels.recordFetch(channel.id, at, { result: 'not-modified' });
      return { result: 'not-modified' };
    }
    const parsed = parseFeed(feed.body.toString('utf8'), feed.url, o.maxItems);
    const keys = channel.trustedKeys.length
      ? await readTrustedKeys(channel.trustedKeys)
      : [];
    const keysDigest = sha256(...channel.trustedKeys);
    const previous = await o.appliances.listByChannel(channel.id);
    const previousByUrl = new Map<string, StoredAppliance[]>();
    for (const a of previous) {
      previousByUrl.set(a.definitionUrl, [
        ...(previousByUrl.get(a.definitionUrl) ?? []),
        a,
      ]);
    }
    const previousById = new Map(previous.map(a => [a.id, a]));

    const itemErrors: ItemError[] = [...parsed.errors];
    const results = await mapPool(parsed.items, o.concurrency, item =>
      this.ingestItem(channel, item, keys, keysDigest, previousById, at).catch(
        e => {
          if (e instanceof DefinitionError) {
            return { errors: e.problems.map(p => ({ item: item.name, ...p })) };
          }
          if (e instanceof FetchError) {
            // Transient trouble with one definition keeps what it last published.
            return {
              errors: [
                {
                  item: item.name,
                  field: 'link',
                  message: `could not fetch the definition: ${e.message}`,
                },
              ],
              kept: previousByUrl.get(item.definitionUrl) ?? [],
            };
          }
          return {
            errors: [
              {
                item: item.name,
                field: 'item',
                message: `unexpected error: ${e}`,
              },
            ],
          };
        },
      ),
    );

    const appliances: StoredAppliance[] = [];
    const seen = new Map<string, string>();
    results.forEach((r, i) => {
      itemErrors.push(...r.errors);
      let candidates: StoredAppliance[] = [];
      if ('appliance' in r && r.appliance) candidates = [r.appliance];
      else if ('kept' in r && r.kept) candidates = r.kept;
      for (const a of candidates) {
        const first = seen.get(a.id);
        if (first !== undefined) {
          itemErrors.push({
            item: parsed.items[i].name,
            field: 'provides',
            message: `expected a unique provides and version in the channel, got ${a.provides} ${a.version} again (first in ${first})`,
          });
          continue;
        }
        seen.set(a.id, parsed.items[i].name);
        appliances.push(a);
      }
    });

    await o.db.transaction(async trx => {
      await o.appliances.replaceChannel(trx, channel.id, appliances);
      await o.channels.recordSuccess(
        channel.id,
        at,
        {
          title: parsed.title,
          itemErrors,
          validators: { etag: feed.etag, lastModified: feed.lastModified },
        },
        trx,
      );
    });
    o.onIngested?.();
    if (o.auditor) {
      const event = await o.auditor.createEvent({
        eventId: 'channel-ingest',
        severityLevel: 'low',
        meta: {
          channelId: channel.id,
          appliances: appliances.length,
          itemErrors: itemErrors.length,
        },
      });
      await event.success();
    }
    return { result: 'ok', appliances: appliances.length, itemErrors };
  }

  private async ingestItem(
    channel: ChannelRecord,
    item: FeedItem,
    keys: PublicKey[],
    keysDigest: string,
    previousById: Map<string, StoredAppliance>,
    at: Date,
  ): Promise<{ errors: ItemError[]; appliance?: StoredAppliance }> {
    const o = this.options;
    const fetched = await fetchLimited(
      item.definitionUrl,
      o.definitionLimits,
      {},
      o.dispatcher,
    );
    if (fetched.status !== 'ok')
      throw new FetchError(`${item.definitionUrl}: unexpected 304`);
    const definition = parseApplianceDefinition(
      fetched.body.toString('utf8'),
      fetched.url,
    );
    const id = applianceId(channel.id, definition.provides, definition.version);
    const errors: ItemError[] = [];
    let signatureState: SignatureState = 'unsigned';
    let signatureDigest: string | undefined;
    if (definition.signatureUrl && keys.length) {
      try {
        const sig = await fetchLimited(
          definition.signatureUrl,
          { ...SIGNATURE_LIMITS, timeoutMs: o.definitionLimits.timeoutMs },
          {},
          o.dispatcher,
        );
        if (sig.status !== 'ok') throw new FetchError('unexpected 304');
        signatureDigest = sha256(keysDigest, definition.imageUrl, sig.body);
        const prior = previousById.get(id);
        signatureState =
          prior &&
          prior.signatureDigest === signatureDigest &&
          prior.signatureState !== 'unavailable'
            ? prior.signatureState
            : await this.checkSignature(definition.imageUrl, sig.body, keys);
      } catch (e) {
        signatureState = 'unavailable';
        errors.push({
          item: item.name,
          field: 'sig',
          message: `could not fetch the signature: ${(e as Error).message}`,
        });
      }
      if (signatureState === 'invalid' || signatureState === 'untrusted') {
        errors.push({
          item: item.name,
          field: 'sig',
          message:
            signatureState === 'invalid'
              ? 'expected a valid detached signature over the image, got one that does not verify'
              : "expected a signature by one of the channel's trusted keys, got another signer",
        });
      }
    }
    return {
      errors,
      appliance: {
        id,
        channelId: channel.id,
        provides: definition.provides,
        version: definition.version,
        label: definition.label,
        description: definition.description,
        sizeMb: definition.sizeMb,
        imageUrl: definition.imageUrl,
        signatureUrl: definition.signatureUrl,
        signatureState,
        signatureDigest,
        webpanel: definition.webpanel,
        cpus: definition.hardware.cpus,
        memoryKib: definition.hardware.memoryKib,
        ostype: definition.hardware.ostype,
        disks: definition.hardware.disks,
        dependencies: definition.dependencies,
        variables: definition.variables,
        definitionUrl: item.definitionUrl,
        itemName: item.name,
        ingestedAt: at.toISOString(),
      },
    };
  }

  private async checkSignature(
    imageUrl: string,
    sigBytes: Buffer,
    keys: PublicKey[],
  ): Promise<SignatureState> {
    let signature;
    try {
      signature = await readDetachedSignature(sigBytes);
    } catch {
      return 'invalid';
    }
    if (!isFromTrustedKey(signature, keys)) return 'untrusted';
    if (this.options.verifyImagesUpToBytes <= 0) return 'trusted-signer';
    let image;
    try {
      image = await fetchLimited(
        imageUrl,
        {
          ...this.options.definitionLimits,
          maxBytes: this.options.verifyImagesUpToBytes,
        },
        {},
        this.options.dispatcher,
      );
    } catch (e) {
      // Too large or unreachable now: the agent verifies when it installs the image.
      if (e instanceof FetchError) return 'trusted-signer';
      throw e;
    }
    if (image.status !== 'ok') return 'trusted-signer';
    return (await verifyDetached(new Uint8Array(image.body), signature, keys))
      ? 'verified'
      : 'invalid';
  }
}
