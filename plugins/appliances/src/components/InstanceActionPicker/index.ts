export { InstanceActionPicker } from './InstanceActionPicker';
