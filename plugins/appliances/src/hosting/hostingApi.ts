import { ResponseError } from '@backstage/errors';
import type { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';

export type Operation = AppliancesApiComponents['schemas']['Operation'];
export type OperationStep = AppliancesApiComponents['schemas']['OperationStep'];
export type Instance = AppliancesApiComponents['schemas']['Instance'];
export type Estimate = AppliancesApiComponents['schemas']['Estimate'];
export type ProvisionRequest =
  AppliancesApiComponents['schemas']['ProvisionRequest'];
export type Host = AppliancesApiComponents['schemas']['Host'];
export type HostPricing = AppliancesApiComponents['schemas']['HostPricing'];
export type HostPowerHistory =
  AppliancesApiComponents['schemas']['HostPowerHistory'];
export type PowerDecision = AppliancesApiComponents['schemas']['PowerDecision'];
export type EnrolmentToken =
  AppliancesApiComponents['schemas']['EnrolmentToken'];
export type InstanceEvent = AppliancesApiComponents['schemas']['InstanceEvent'];
export type ConsoleTicket = AppliancesApiComponents['schemas']['ConsoleTicket'];
export type InstanceAction =
  AppliancesApiComponents['schemas']['InstanceAction'];
export type InstanceActionResult =
  AppliancesApiComponents['schemas']['InstanceActionResult'];
export type InstanceActionRefusal =
  AppliancesApiComponents['schemas']['InstanceActionRefusal'];
export type MigrationTargets =
  AppliancesApiComponents['schemas']['MigrationTargets'];
export type MigrationTarget = MigrationTargets['items'][number];
export type InstancePage = {
  items: Instance[];
  totalCount: number;
  nextOffset?: number;
};
export type InstanceQuery = {
  limit?: number;
  offset?: number;
  state?: string;
  hostId?: string;
  hostname?: string;
};

type Deps = {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
};

async function call<T>(
  deps: Deps,
  path: string,
  init?: RequestInit,
): Promise<T> {
  const base = await deps.discoveryApi.getBaseUrl('appliances');
  const res = await deps.fetchApi.fetch(`${base}${path}`, init);
  if (!res.ok) throw await ResponseError.fromResponse(res);
  return (await res.json()) as T;
}

/** Reads operations and instances, and asks for price estimates. */
export function hostingApi(deps: Deps) {
  return {
    getOperation: (id: string) =>
      call<Operation>(deps, `/operations/${encodeURIComponent(id)}`),
    getInstance: (id: string) =>
      call<Instance>(deps, `/instances/${encodeURIComponent(id)}`),
    listInstances: (query: InstanceQuery = {}) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== '') params.set(key, String(value));
      }
      return call<InstancePage>(deps, `/instances?${params}`);
    },
    listInstanceEvents: (id: string, limit = 20) =>
      call<{ items: InstanceEvent[] }>(
        deps,
        `/instances/${encodeURIComponent(id)}/events?limit=${limit}`,
      ),
    /** The other hosts of the instance's provider: whether each has room, and the one Tempest would choose. */
    listMigrationTargets: (id: string) =>
      call<MigrationTargets>(
        deps,
        `/instances/${encodeURIComponent(id)}/migration-targets`,
      ),
    /**
     * Sends the version the user saw (and, for migrate, the destination host);
     * a 409 throws an error whose body is an InstanceActionRefusal.
     */
    actOnInstance: async (
      id: string,
      action: InstanceAction,
      expectedVersion: number,
      options: { hostId?: string } = {},
    ) => {
      const base = await deps.discoveryApi.getBaseUrl('appliances');
      const res = await deps.fetchApi.fetch(
        `${base}/instances/${encodeURIComponent(id)}/actions`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            action,
            expectedVersion,
            ...(options.hostId ? { hostId: options.hostId } : {}),
          }),
        },
      );
      if (res.ok) return (await res.json()) as InstanceActionResult;
      // Refusals carry the current state, version and allowed actions next to the error.
      const text = await res.text();
      let body: Partial<InstanceActionRefusal> | undefined;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      throw Object.assign(
        new Error(
          body?.error?.message ??
            `Request failed with status ${res.status}: ${text}`,
        ),
        {
          status: res.status,
          body,
        },
      );
    },
    /** A single-use ticket and the websocket URL (ws or wss, ticket included) that opens the instance's console. */
    openConsole: async (id: string) => {
      const ticket = await call<ConsoleTicket>(
        deps,
        `/instances/${encodeURIComponent(id)}/console`,
        { method: 'POST' },
      );
      const base = await deps.discoveryApi.getBaseUrl('appliances');
      const url = new URL(
        `${base}${ticket.websocketPath}`,
        window.location.href,
      );
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      return { ...ticket, websocketUrl: url.toString() };
    },
    getSerialLog: async (id: string) => {
      const base = await deps.discoveryApi.getBaseUrl('appliances');
      const res = await deps.fetchApi.fetch(
        `${base}/instances/${encodeURIComponent(id)}/serial-log`,
      );
      if (!res.ok) throw await ResponseError.fromResponse(res);
      return res.text();
    },
    listHosts: () => call<{ items: Host[] }>(deps, '/hosts'),
    getHost: (id: string) =>
      call<Host>(deps, `/hosts/${encodeURIComponent(id)}`),
    /** New prices apply to instances placed afterwards. */
    updateHostPricing: (id: string, pricing: HostPricing) =>
      call<Host>(deps, `/hosts/${encodeURIComponent(id)}/pricing`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(pricing),
      }),
    setHostMaintenance: (id: string, maintenance: boolean) =>
      call<Host>(deps, `/hosts/${encodeURIComponent(id)}/maintenance`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ maintenance }),
      }),
    /** Power state, readings over the last hours, decisions and the energy saved. */
    getHostPower: (id: string, hours = 24) =>
      call<HostPowerHistory>(
        deps,
        `/hosts/${encodeURIComponent(id)}/power?hours=${hours}`,
      ),
    /** On, off or cycle through the BMC; off and cycle of a host with running instances need force. */
    powerHost: (id: string, action: 'on' | 'off' | 'cycle', force = false) =>
      call<Host>(deps, `/hosts/${encodeURIComponent(id)}/power`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action, force }),
      }),
    /** A new one-time enrolment token; the previous one stops working. */
    renewEnrolmentToken: (id: string) =>
      call<EnrolmentToken>(
        deps,
        `/hosts/${encodeURIComponent(id)}/enrolment-token`,
        { method: 'POST' },
      ),
    estimate: (body: ProvisionRequest) =>
      call<Estimate>(deps, '/instances/estimate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
  };
}

/** `1536000` → `1.5 MiB/s`. */
export function formatSpeed(
  bytesPerSecond?: number | null,
): string | undefined {
  if (!bytesPerSecond) return undefined;
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let value = bytesPerSecond;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Seconds → `3d 4h`, `2h 5m`, `40s`. */
export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m`;
  return `${Math.max(0, Math.floor(seconds))}s`;
}

/** How long a started instance has been running, from its startedAt. */
export function uptimeOf(
  instance: Pick<Instance, 'state' | 'startedAt'>,
  now = Date.now(),
): string {
  if (instance.state !== 'started' || !instance.startedAt) return '—';
  return formatDuration((now - Date.parse(instance.startedAt)) / 1000);
}
