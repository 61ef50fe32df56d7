import { createApiRef } from '@backstage/frontend-plugin-api';
import type { AppliancesClient } from '@tempest/backstage-plugin-appliances-common';

/** The typed appliances client, as a Backstage utility API. */
export type AppliancesApi = Pick<AppliancesClient, keyof AppliancesClient>;

export const appliancesApiRef = createApiRef<AppliancesApi>({
  id: 'plugin.appliances.client',
});
