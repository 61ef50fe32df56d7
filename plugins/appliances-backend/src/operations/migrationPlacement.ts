import {
  PlacementDecision,
  PlacementHost,
  PlacementRejection,
  placeHost,
} from '@tempest/backstage-plugin-appliances-common';
import { HostStore } from '../hosts/HostStore';
import { Instance } from '../instances/InstanceStore';

export type MigrationTarget = {
  hostId: string;
  hostName: string;
  fits: boolean;
  /** Tempest's choice when the caller names no host. */
  recommended: boolean;
  detail: string;
};

type Hosts = Pick<HostStore, 'get' | 'list' | 'placementHosts'> &
  Partial<Pick<HostStore, 'offeredNetworks'>>;

/**
 * Where an instance may move: the other hosts of its current host's
 * provider, because a move keeps the prices locked at placement and the
 * same provider is paid them. A host that is off is not powered on for a
 * move. Best fit, as for provisioning; `hostId` asks for one host. A running
 * instance moves live and keeps its network, so a host whose agent last
 * offered other networks only is refused for it.
 */
export async function migrationPlacement(
  hosts: Hosts,
  instance: Pick<Instance, 'hostId' | 'size'> &
    Partial<Pick<Instance, 'state' | 'network'>>,
  options: { hostId?: string; currency?: string } = {},
): Promise<PlacementDecision & { hosts: PlacementHost[] }> {
  const none = (summary: string) => ({
    rejected: [],
    candidates: 0,
    summary,
    hosts: [],
  });
  const source = instance.hostId ? await hosts.get(instance.hostId) : undefined;
  if (!source) return none('The instance is on no host, so it cannot move');
  const sameProvider = new Set(
    (await hosts.list({ owners: [source.owner] })).map(h => h.id),
  );
  const candidates = (await hosts.placementHosts())
    .filter(h => sameProvider.has(h.id) && h.id !== source.id)
    .map(h => ({ ...h, canPowerOn: false }));
  if (options.hostId === source.id)
    return none(`The instance is already on ${source.name}`);
  if (options.hostId && !candidates.some(h => h.id === options.hostId))
    return none(
      `Host ${options.hostId} is not another host of ${source.owner}, the provider of ${source.name}`,
    );
  if (!candidates.length)
    return none(
      `${source.owner} has no other host to move to from ${source.name}`,
    );
  const elsewhere = await offNetwork(hosts, instance, candidates);
  if (options.hostId && elsewhere.has(options.hostId)) {
    const asked = elsewhere.get(options.hostId)!;
    return {
      rejected: [asked],
      candidates: 0,
      summary: `Cannot move to ${asked.hostName}: it ${asked.detail}`,
      hosts: candidates,
    };
  }
  const decision = placeHost(
    candidates.filter(h => !elsewhere.has(h.id)),
    {
      demand: instance.size,
      hostId: options.hostId,
      currency: options.currency,
    },
  );
  decision.rejected.push(...elsewhere.values());
  const off = new Set(candidates.filter(h => !h.poweredOn).map(h => h.id));
  // Placement words its choice with the host's own price, which a move does not pay.
  let summary = decision.summary;
  if (decision.chosen) {
    let why = `the best fit of ${decision.candidates} hosts with room`;
    if (options.hostId) why = 'the host asked for';
    else if (decision.candidates === 1) why = 'the only host with room';
    summary = `Moves to ${decision.chosen.hostName}, ${why}; it keeps the price locked when it was placed`;
  }
  return {
    ...decision,
    summary,
    rejected: decision.rejected.map(r =>
      off.has(r.hostId)
        ? { ...r, detail: 'is powered off, and a move does not power hosts on' }
        : r,
    ),
    hosts: candidates,
  };
}

/** The candidates a running instance cannot move to live: their agents offer other networks only. */
async function offNetwork(
  hosts: Hosts,
  instance: Partial<Pick<Instance, 'state' | 'network'>>,
  candidates: PlacementHost[],
): Promise<Map<string, PlacementRejection>> {
  const refused = new Map<string, PlacementRejection>();
  const network = instance.network;
  if (instance.state !== 'started' || !network || !hosts.offeredNetworks)
    return refused;
  const offered = await hosts.offeredNetworks();
  for (const h of candidates) {
    const networks = offered.get(h.id);
    if (networks && !networks.includes(network))
      refused.set(h.id, {
        hostId: h.id,
        hostName: h.name,
        reason: 'network',
        detail: `does not offer the network ${network} that the running instance keeps`,
      });
  }
  return refused;
}

/** Every host the instance could be moved to, with whether it fits and why not. */
export async function migrationTargets(
  hosts: Hosts,
  instance: Pick<Instance, 'hostId' | 'size'> &
    Partial<Pick<Instance, 'state' | 'network'>>,
  currency?: string,
): Promise<{ summary: string; items: MigrationTarget[] }> {
  const decision = await migrationPlacement(hosts, instance, { currency });
  const rejected = new Map(decision.rejected.map(r => [r.hostId, r]));
  return {
    summary: decision.summary,
    items: decision.hosts.map(h => {
      const refusal = rejected.get(h.id);
      return {
        hostId: h.id,
        hostName: h.name,
        fits: !refusal,
        recommended: decision.chosen?.hostId === h.id,
        detail: refusal ? `${h.name} ${refusal.detail}` : `${h.name} has room`,
      };
    }),
  };
}
