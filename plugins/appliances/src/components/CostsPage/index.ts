export { CostsPage, AccountSummary } from './CostsPage';
