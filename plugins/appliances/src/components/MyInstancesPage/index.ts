export { MyInstancesPage, catalogPathOf } from './MyInstancesPage';
export { InstanceStateChip } from './InstanceStateChip';
