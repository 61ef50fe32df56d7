export { AppliancesPage } from './AppliancesPage';
