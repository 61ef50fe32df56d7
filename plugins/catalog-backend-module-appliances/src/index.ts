/**
 * Catalog entity provider for Tempest appliances, hosts and instances.
 *
 * @packageDocumentation
 */
export { catalogModuleAppliances as default } from './module';
export {
  hostToEntity,
  instanceToEntity,
  HOSTING_LOCATION,
} from './hosting/hostingEntities';
export type { HostView, InstanceView } from './hosting/hostingEntities';
