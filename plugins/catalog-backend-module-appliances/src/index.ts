/**
 * Catalog entity provider for Tempest appliances, hosts and instances.
 *
 * @packageDocumentation
 */
export { catalogModuleAppliances as default } from './module';
