export { ApplianceCostEstimate } from './ApplianceCostEstimate';
