import { createHash } from 'node:crypto';
import { InputError } from '@backstage/errors';
import type { AgentApiComponents } from '@tempest/backstage-plugin-appliances-common/agent';
import { ApplianceStore, StoredAppliance } from '../database/ApplianceStore';
import { ChannelStore } from '../database/ChannelStore';
import { ImageDigests } from './ImageDigests';

type InstallImageRequest = AgentApiComponents['schemas']['InstallImageRequest'];

/** An OS substrate image, from config, that appliances of one `ostype` layer on. */
export type OsImage = {
  ostype: string;
  name: string;
  version: string;
  url: string;
  signatureUrl: string;
  trustedKeys: string[];
  sha256?: string;
};

export type ImageLayer = {
  kind: 'os' | 'appliance';
  /** The image's name on the agent. */
  name: string;
  request: InstallImageRequest;
};

const AGENT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const AGENT_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,63}$/;

/** A name the agent accepts for an appliance id (`channel.provides.version`). */
export function agentImageName(applianceId: string): string {
  const clean = applianceId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (clean === applianceId && AGENT_NAME.test(clean)) return clean;
  const hash = createHash('sha256')
    .update(applianceId)
    .digest('hex')
    .slice(0, 8);
  return `${clean.slice(0, 54).replace(/-+$/, '') || 'a'}-${hash}`;
}

/**
 * Works out the install requests for an appliance's image layers, OS
 * substrate first: URL, SHA-256, detached signature and the keys to check it.
 */
export class ImageLayers {
  constructor(
    private readonly deps: {
      appliances: ApplianceStore;
      channels: ChannelStore;
      digests: ImageDigests;
      osImages: OsImage[];
    },
  ) {}

  osImageFor(ostype: string): OsImage | undefined {
    return this.deps.osImages.find(o => o.ostype === ostype);
  }

  async layersFor(appliance: StoredAppliance): Promise<ImageLayer[]> {
    const os = this.osImageFor(appliance.ostype);
    if (!os) {
      throw new InputError(
        `No OS image is configured for ostype '${appliance.ostype}' (appliances.osImages)`,
      );
    }
    if (!appliance.signatureUrl) {
      throw new InputError(
        `Appliance ${appliance.id} has no signature; agents install signed images only`,
      );
    }
    if (!AGENT_VERSION.test(appliance.version)) {
      throw new InputError(
        `Appliance version '${appliance.version}' is not one the agent accepts`,
      );
    }
    const channel = await this.deps.channels.get(appliance.channelId);
    if (!channel?.trustedKeys.length) {
      throw new InputError(
        `Channel ${appliance.channelId} has no trusted keys to check the image with`,
      );
    }
    const osSha = os.sha256 ?? (await this.deps.digests.digest(os.url)).sha256;
    const appSha = (await this.deps.digests.digest(appliance.imageUrl)).sha256;
    return [
      {
        kind: 'os',
        name: os.name,
        request: {
          version: os.version,
          url: os.url,
          sha256: osSha,
          signatureUrl: os.signatureUrl,
          publicKeys: os.trustedKeys,
        },
      },
      {
        kind: 'appliance',
        name: agentImageName(appliance.id),
        request: {
          version: appliance.version,
          url: appliance.imageUrl,
          sha256: appSha,
          signatureUrl: appliance.signatureUrl,
          publicKeys: channel.trustedKeys,
          os: os.name,
        },
      },
    ];
  }
}
