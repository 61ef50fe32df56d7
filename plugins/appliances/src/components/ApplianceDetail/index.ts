export { ApplianceDetail, ApplianceDetailView } from './ApplianceDetail';
