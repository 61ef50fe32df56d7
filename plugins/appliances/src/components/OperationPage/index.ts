export { OperationPage } from './OperationPage';
export { OperationView } from './OperationView';
