export { InstanceAddress } from './InstanceAddress';
