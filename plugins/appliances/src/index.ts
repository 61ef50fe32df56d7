/**
 * The Tempest appliances frontend plugin (new frontend system).
 *
 * @packageDocumentation
 */
export { appliancesPlugin as default } from './plugin';
export { appliancesApiRef } from './api';
export type { AppliancesApi } from './api';
