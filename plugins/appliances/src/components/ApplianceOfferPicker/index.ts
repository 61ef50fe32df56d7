export { ApplianceOfferPicker } from './ApplianceOfferPicker';
