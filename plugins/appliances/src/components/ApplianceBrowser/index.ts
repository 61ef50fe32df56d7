export { ApplianceBrowser, formatMemory } from './ApplianceBrowser';
