export { ApplianceCard } from './ApplianceCard';
