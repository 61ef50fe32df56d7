export { InstanceActionButtons, refusalMessage } from './InstanceActionButtons';
