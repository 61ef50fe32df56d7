export { InstanceActionButtons } from './InstanceActionButtons';
export { refusalMessage } from './refusalMessage';
