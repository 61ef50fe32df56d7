export { ApplianceVariables } from './ApplianceVariables';
