import {
  SchedulerServiceTaskScheduleDefinition,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { readCurrency } from '@tempest/backstage-plugin-appliances-common';
import * as openpgp from 'openpgp';
import path from 'node:path';
import { ChannelInput } from '../database/ChannelStore';
import { isHttpUrl } from '../channels/urls';
import { FetchLimits } from '../channels/fetchLimited';
import { normalizeOwnerRef } from '../permissions/ownerRef';
import { AddressPolicy, createAddressPolicy } from '@tempest/outbound-guard';

export type AppliancesConfig = {
  allowUnsigned: boolean;
  /** Where feeds, definitions, signatures and images may be fetched from. */
  addressPolicy: AddressPolicy;
  allowedPrivateNetworks: string[];
  channels: ChannelInput[];
  schedule: SchedulerServiceTaskScheduleDefinition;
  feedLimits: FetchLimits;
  definitionLimits: FetchLimits;
  verifyImagesUpToBytes: number;
  maxItems: number;
  concurrency: number;
  staticChannelsDirectory?: string;
  /** `tempest.currency`: every amount is an integer of its minor units. */
  currency: string;
};

const CHANNEL_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A config value that is wrong; the message names the key. */
export class AppliancesConfigError extends Error {
  constructor(key: string, expected: string) {
    super(`Invalid config at ${key}: expected ${expected}`);
    this.name = 'AppliancesConfigError';
  }
}

function positive(
  config: Config,
  key: string,
  fallback: number,
  max: number,
): number {
  const value = config.getOptionalNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new AppliancesConfigError(
      `appliances.fetch.${key}`,
      `a whole number from 1 to ${max}`,
    );
  }
  return value;
}

/** Reads and checks everything under `appliances` in app-config. */
export async function readAppliancesConfig(
  root: Config,
): Promise<AppliancesConfig> {
  const config = root.getOptionalConfig('appliances');
  const fetchConfig = config?.getOptionalConfig('fetch');
  const read = (key: string, fallback: number, max: number) =>
    fetchConfig ? positive(fetchConfig, key, fallback, max) : fallback;
  const timeoutMs = read('timeoutSeconds', 30, 600) * 1000;
  const maxRedirects = fetchConfig?.getOptionalNumber('maxRedirects') ?? 5;
  if (
    !Number.isInteger(maxRedirects) ||
    maxRedirects < 0 ||
    maxRedirects > 20
  ) {
    throw new AppliancesConfigError(
      'appliances.fetch.maxRedirects',
      'a whole number from 0 to 20',
    );
  }
  const verifyImagesUpToBytes =
    fetchConfig?.getOptionalNumber('verifyImagesUpToBytes') ?? 8 * 1024 * 1024;
  if (!Number.isInteger(verifyImagesUpToBytes) || verifyImagesUpToBytes < 0) {
    throw new AppliancesConfigError(
      'appliances.fetch.verifyImagesUpToBytes',
      'a whole number of bytes, 0 to never verify at ingest',
    );
  }

  const allowedPrivateNetworks =
    fetchConfig?.getOptionalStringArray('allowedPrivateNetworks') ?? [];
  let addressPolicy: AddressPolicy;
  try {
    addressPolicy = createAddressPolicy({ allow: allowedPrivateNetworks });
  } catch (e) {
    throw new AppliancesConfigError(
      'appliances.fetch.allowedPrivateNetworks',
      `address ranges such as 127.0.0.1/32 or 10.0.0.0/8 (${(e as Error).message})`,
    );
  }

  const channels: ChannelInput[] = [];
  const seen = new Set<string>();
  const channelConfigs = config?.getOptionalConfigArray('channels') ?? [];
  for (const [index, channel] of channelConfigs.entries()) {
    const key = `appliances.channels[${index}]`;
    const id = channel.getOptionalString('id');
    if (!id || !CHANNEL_ID.test(id)) {
      throw new AppliancesConfigError(
        `${key}.id`,
        'lower-case letters, digits and dashes, at most 63',
      );
    }
    if (seen.has(id))
      throw new AppliancesConfigError(
        `${key}.id`,
        `a unique id, '${id}' appears twice`,
      );
    seen.add(id);
    const url = channel.getOptionalString('url');
    if (!url || !isHttpUrl(url))
      throw new AppliancesConfigError(`${key}.url`, 'an http or https URL');
    const owner = normalizeOwnerRef(channel.getOptionalString('owner') ?? '');
    if (!owner)
      throw new AppliancesConfigError(
        `${key}.owner`,
        'a user or group entity ref such as group:default/platform',
      );
    const trustedKeys = channel.getOptionalStringArray('trustedKeys') ?? [];
    for (const [k, armoredKey] of trustedKeys.entries()) {
      try {
        const parsed = await openpgp.readKey({ armoredKey });
        if (parsed.isPrivate()) throw new Error('private key');
      } catch {
        throw new AppliancesConfigError(
          `${key}.trustedKeys[${k}]`,
          'an armored OpenPGP public key',
        );
      }
    }
    const refreshMinutes = channel.getOptionalNumber('refreshMinutes');
    if (
      refreshMinutes !== undefined &&
      (!Number.isInteger(refreshMinutes) ||
        refreshMinutes < 1 ||
        refreshMinutes > 10080)
    ) {
      throw new AppliancesConfigError(
        `${key}.refreshMinutes`,
        'a whole number of minutes from 1 to 10080',
      );
    }
    channels.push({
      id,
      url,
      owner,
      trustedKeys,
      refreshMinutes,
      source: 'config',
    });
  }

  const scheduleConfig = config?.getOptionalConfig('schedule');
  const schedule: SchedulerServiceTaskScheduleDefinition = scheduleConfig
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
    : {
        frequency: { seconds: 15 },
        timeout: { minutes: 15 },
        initialDelay: { seconds: 5 },
      };

  const staticDir = config?.getOptionalString('staticChannels.directory');

  return {
    currency: readCurrency(root),
    allowUnsigned: config?.getOptionalBoolean('allowUnsigned') ?? false,
    addressPolicy,
    allowedPrivateNetworks,
    channels,
    schedule,
    feedLimits: {
      maxBytes: read('maxFeedBytes', 16 * 1024 * 1024, 1024 * 1024 * 1024),
      timeoutMs,
      maxRedirects,
    },
    definitionLimits: {
      maxBytes: read('maxDefinitionBytes', 256 * 1024, 64 * 1024 * 1024),
      timeoutMs,
      maxRedirects,
    },
    verifyImagesUpToBytes,
    maxItems: read('maxItems', 20000, 1_000_000),
    concurrency: read('concurrency', 16, 256),
    staticChannelsDirectory: staticDir ? path.resolve(staticDir) : undefined,
  };
}
