import { ResponseError } from '@backstage/errors';
import type { AppliancesApiComponents } from '@tempest/backstage-plugin-appliances-common';

export type Operation = AppliancesApiComponents['schemas']['Operation'];
export type OperationStep = AppliancesApiComponents['schemas']['OperationStep'];
export type Instance = AppliancesApiComponents['schemas']['Instance'];
export type Estimate = AppliancesApiComponents['schemas']['Estimate'];
export type ProvisionRequest = AppliancesApiComponents['schemas']['ProvisionRequest'];

type Deps = {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
};

async function call<T>(deps: Deps, path: string, init?: RequestInit): Promise<T> {
  const base = await deps.discoveryApi.getBaseUrl('appliances');
  const res = await deps.fetchApi.fetch(`${base}${path}`, init);
  if (!res.ok) throw await ResponseError.fromResponse(res);
  return (await res.json()) as T;
}

/** Reads operations and instances, and asks for price estimates. */
export function hostingApi(deps: Deps) {
  return {
    getOperation: (id: string) => call<Operation>(deps, `/operations/${encodeURIComponent(id)}`),
    getInstance: (id: string) => call<Instance>(deps, `/instances/${encodeURIComponent(id)}`),
    estimate: (body: ProvisionRequest) =>
      call<Estimate>(deps, '/instances/estimate', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
  };
}

/** `1536000` → `1.5 MiB/s`. */
export function formatSpeed(bytesPerSecond?: number | null): string | undefined {
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

/** Minor units as a plain number with two decimals (currency is the deployment's). */
export function formatMinor(minor?: number): string {
  return minor === undefined ? '—' : (minor / 100).toFixed(2);
}
