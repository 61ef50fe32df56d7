import { Entity } from '@backstage/catalog-model';
import type {
  Appliance,
  Channel,
} from '@tempest/backstage-plugin-appliances-common';
import { applianceEntityRef } from '@tempest/backstage-plugin-appliances-common';

export const ANNOTATION_PREFIX = 'tempest.io';

/** The locationKey of every entity a channel yields: stable across runs. */
export function channelLocationKey(channelId: string): string {
  return `tempest-appliances:channel:${channelId}`;
}

function httpUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:'
      ? url.toString()
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Maps one appliance to a `Resource` of type `virtual-appliance`, owned by its
 * channel's owner and depending on the appliances its dependencies resolve to.
 * A webpanel given as a path lives on each instance, so the entity links to
 * the appliance's page in the portal instead of to a URL it cannot know.
 */
export function applianceToEntity(
  appliance: Appliance,
  channel: Pick<Channel, 'id' | 'owner' | 'url'>,
  options: { appBaseUrl?: string } = {},
): Entity {
  const annotations: Record<string, string> = {
    'backstage.io/managed-by-location': `url:${channel.url}`,
    'backstage.io/managed-by-origin-location': `url:${channel.url}`,
    [`${ANNOTATION_PREFIX}/channel`]: channel.id,
    [`${ANNOTATION_PREFIX}/appliance-id`]: appliance.id,
    [`${ANNOTATION_PREFIX}/version`]: appliance.version,
    [`${ANNOTATION_PREFIX}/provides`]: appliance.provides,
    [`${ANNOTATION_PREFIX}/ostype`]: appliance.hardware.ostype,
    [`${ANNOTATION_PREFIX}/signature-state`]: appliance.signature.state,
    [`${ANNOTATION_PREFIX}/provisionable`]: String(
      appliance.signature.provisionable,
    ),
    [`${ANNOTATION_PREFIX}/latest`]: String(appliance.latest),
  };
  if (appliance.webpanel)
    annotations[`${ANNOTATION_PREFIX}/webpanel`] = appliance.webpanel;
  if (appliance.unresolvedDependencies.length) {
    annotations[`${ANNOTATION_PREFIX}/unresolved-dependencies`] =
      appliance.unresolvedDependencies.join(', ');
  }

  const links: { url: string; title: string; icon?: string; type?: string }[] =
    [];
  const panel = httpUrl(appliance.webpanel);
  if (panel) {
    links.push({
      url: panel,
      title: 'Web panel',
      icon: 'dashboard',
      type: 'webpanel',
    });
  } else if (appliance.webpanel && options.appBaseUrl) {
    links.push({
      url: `${options.appBaseUrl}/appliances/${encodeURIComponent(appliance.id)}`,
      title: `Web panel at ${appliance.webpanel} on each instance`,
      icon: 'dashboard',
      type: 'webpanel',
    });
  }
  const definition = httpUrl(appliance.definitionUrl);
  if (definition)
    links.push({
      url: definition,
      title: 'Appliance definition',
      type: 'definition',
    });

  const tags = [appliance.provides, appliance.hardware.ostype]
    .map(t => t.toLowerCase())
    .filter(t => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(t) && t.length <= 63);

  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: appliance.id,
      namespace: 'default',
      title: `${appliance.label} ${appliance.version}`,
      description: appliance.description || undefined,
      annotations,
      tags: [...new Set(tags)],
      links,
    },
    spec: {
      type: 'virtual-appliance',
      owner: channel.owner,
      dependsOn: appliance.dependencies
        .filter(d => d.resolvedId)
        .map(d => applianceEntityRef(d.resolvedId!)),
    },
  };
}
