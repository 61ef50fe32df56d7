/**
 * Scaffolder actions for Tempest appliances.
 *
 * @packageDocumentation
 */
export { scaffolderModuleAppliances as default } from './module';
