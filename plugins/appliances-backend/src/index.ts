/**
 * The Tempest appliances backend plugin.
 *
 * @packageDocumentation
 */
export { appliancesPlugin as default } from './plugin';
