import {
  Entity,
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import {
  AppliancesApiComponents,
  HOST_ENTITY_TYPE,
  HOST_OWNER_ANNOTATION,
  INSTANCE_ENTITY_TYPE,
  applianceEntityRef,
  describeSize,
  hostEntityName,
  hostEntityRef,
  instanceEntityName,
  isCatalogued,
} from '@tempest/backstage-plugin-appliances-common';

export type HostView = AppliancesApiComponents['schemas']['Host'];
export type InstanceView = AppliancesApiComponents['schemas']['Instance'];

export const HOSTING_LOCATION = 'tempest-appliances:hosting';

function annotations(kind: string, id: string) {
  return {
    [ANNOTATION_LOCATION]: `${HOSTING_LOCATION}/${kind}`,
    [ANNOTATION_ORIGIN_LOCATION]: `${HOSTING_LOCATION}/${kind}`,
    [`tempest.dev/${kind}-id`]: id,
  };
}

/** Links into the portal (the catalog accepts absolute URLs only). */
const portalLinks = (
  appBaseUrl: string | undefined,
  links: Array<{ path: string; title: string; icon: string }>,
) =>
  appBaseUrl
    ? links.map(l => ({
        url: `${appBaseUrl.replace(/\/$/, '')}${l.path}`,
        title: l.title,
        icon: l.icon,
      }))
    : [];

/** A host as a `Resource` of type `appliance-host`, owned by its provider. */
export function hostToEntity(host: HostView, appBaseUrl?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: hostEntityName(host.name),
      title: host.name,
      description: `${host.cpuCores} × ${host.cpuModel} at ${host.coreSpeedMhz} MHz, ${host.memoryMb} MB memory, ${host.storageMb} MB storage`,
      annotations: annotations('host', host.id),
      labels: { 'tempest.dev/host-state': host.state },
      links: portalLinks(appBaseUrl, [
        { path: '/appliances/hosts', title: 'My hosts', icon: 'dashboard' },
        {
          path: `/appliances/instances?hostId=${encodeURIComponent(host.id)}`,
          title: 'Instances on this host',
          icon: 'catalog',
        },
      ]),
    },
    spec: {
      type: HOST_ENTITY_TYPE,
      owner: host.owner,
      system: 'tempest',
    },
  };
}

/**
 * An instance as a `Resource` of type `appliance-instance`, owned by its
 * requester, annotated with its host's owner (who may see it too).
 */
export function instanceToEntity(
  instance: InstanceView,
  hosts: Map<string, Pick<HostView, 'name' | 'owner'>>,
  appBaseUrl?: string,
): Entity | undefined {
  if (!isCatalogued(instance.state)) return undefined;
  const host = instance.hostId ? hosts.get(instance.hostId) : undefined;
  const hostName = instance.hostName ?? host?.name;
  const dependsOn = [applianceEntityRef(instance.applianceId)];
  if (hostName) dependsOn.push(hostEntityRef(hostName));
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: instanceEntityName(instance.hostname),
      title: instance.hostname,
      description: `An appliance instance of ${describeSize(instance.size)}${hostName ? ` on ${hostName}` : ''}.`,
      annotations: {
        ...annotations('instance', instance.id),
        ...(host ? { [HOST_OWNER_ANNOTATION]: host.owner } : {}),
        ...(instance.mac ? { 'tempest.dev/mac': instance.mac } : {}),
        ...(instance.addresses?.length
          ? { 'tempest.dev/addresses': instance.addresses.join(', ') }
          : {}),
      },
      labels: { 'tempest.dev/instance-state': instance.state },
      links: [
        ...(instance.webpanelUrl
          ? [{ url: instance.webpanelUrl, title: 'Webpanel', icon: 'web' }]
          : []),
        ...portalLinks(appBaseUrl, [
          {
            path: '/appliances/instances',
            title: 'My instances',
            icon: 'dashboard',
          },
          ...(instance.operationId
            ? [
                {
                  path: `/appliances/operations/${encodeURIComponent(instance.operationId)}`,
                  title: 'Provisioning',
                  icon: 'docs',
                },
              ]
            : []),
        ]),
      ],
    },
    spec: {
      type: INSTANCE_ENTITY_TYPE,
      owner: instance.owner,
      system: 'tempest',
      dependsOn,
    },
  };
}
