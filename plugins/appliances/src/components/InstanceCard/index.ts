export {
  InstanceCard,
  describeEvent,
  INSTANCE_ID_ANNOTATION,
} from './InstanceCard';
