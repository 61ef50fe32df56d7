/**
 * The Tempest appliances backend plugin.
 *
 * @packageDocumentation
 */
export { appliancesPlugin as default } from './plugin';
export {
  instanceConditions,
  createInstanceConditionalDecision,
  instanceRules,
  instanceResourceRef,
} from './permissions/instanceRules';
export type {
  InstanceResource,
  InstanceQuery,
} from './permissions/instanceRules';
/** The API's OpenAPI spec (what the router validates against). */
export { spec as appliancesOpenApiSpec } from './schema/openapi.generated';
