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
