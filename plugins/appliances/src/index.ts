/**
 * The Tempest appliances frontend plugin (new frontend system), and
 * Tempest's home page as a plugin of its own.
 *
 * @packageDocumentation
 */
export { appliancesPlugin as default } from './plugin';
export { tempestHomePlugin } from './homePlugin';
export { appliancesApiRef } from './api';
export type { AppliancesApi } from './api';
