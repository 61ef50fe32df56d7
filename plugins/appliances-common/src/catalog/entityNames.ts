/**
 * Catalog entity names for hosts and instances. Instance hostnames and host
 * names share one alphabet, so host entities end in `.host` (a hostname has
 * no dots) and the two can never collide; appliance entities are named by
 * their id (`channel.provides.version`).
 */
export function hostEntityName(hostName: string): string {
  return `${hostName}.host`;
}

export function instanceEntityName(hostname: string): string {
  return hostname.toLowerCase();
}

export function hostEntityRef(hostName: string): string {
  return `resource:default/${hostEntityName(hostName)}`;
}

export function instanceEntityRef(hostname: string): string {
  return `resource:default/${instanceEntityName(hostname)}`;
}

export function applianceEntityRef(applianceId: string): string {
  return `resource:default/${applianceId}`;
}

/** `spec.type` of the Resource entities Tempest emits for hosts and instances. */
export const HOST_ENTITY_TYPE = 'appliance-host';
export const INSTANCE_ENTITY_TYPE = 'appliance-instance';

/**
 * Annotation on instance entities naming the owner of the instance's host, so
 * a permission policy can show providers the instances on their hosts (as the
 * instances API does) with the catalog's own rules.
 */
export const HOST_OWNER_ANNOTATION = 'tempest.dev/host-owner';
