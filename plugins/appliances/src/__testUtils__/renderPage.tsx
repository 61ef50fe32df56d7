import { ReactElement } from 'react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  configApiRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { entityRouteRef } from '@backstage/plugin-catalog-react';

export const BASE = 'http://backend/api/appliances';

/** A JSON answer as the backend sends it. */
export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/**
 * Renders a Tempest component in a test app whose appliances backend is
 * `fetch` (a fake that answers by URL), with entity pages mounted so entity
 * links resolve and the currency configured.
 */
export async function renderPage(
  element: ReactElement,
  fetch: (url: string, init?: RequestInit) => Promise<Response>,
  options: { currency?: string; extraApis?: any[] } = {},
) {
  const fetchApi = { fetch: jest.fn(fetch) };
  const result = await renderInTestApp(element, {
    apis: [
      [discoveryApiRef, { getBaseUrl: async () => BASE }],
      [fetchApiRef, fetchApi as any],
      [
        configApiRef,
        new ConfigReader({
          tempest: { currency: options.currency ?? 'EUR' },
        }),
      ],
      ...(options.extraApis ?? []),
    ] as any,
    // The app's own config API is built from this, not from the override above.
    config: {
      app: { baseUrl: 'http://localhost:3000' },
      backend: { baseUrl: 'http://localhost:7007' },
      tempest: { currency: options.currency ?? 'EUR' },
    },
    mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
  });
  return { ...result, fetchApi };
}
