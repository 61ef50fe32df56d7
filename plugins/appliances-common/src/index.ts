/**
 * Shared types, the OpenAPI-typed clients, and permissions for Tempest appliances.
 *
 * @packageDocumentation
 */
export * from './permissions/permissions';
export * from './client/AppliancesClient';
export type {
  paths as AppliancesApiPaths,
  components as AppliancesApiComponents,
} from './generated/appliancesApi';
export * from './pricing/pricing';
export * from './placement/placeHost';
export * from './lifecycle/instanceStateMachine';
export * from './catalog/entityNames';
export * from './events/topics';
export * from './money';
export * from './appliances/minimumSize';
