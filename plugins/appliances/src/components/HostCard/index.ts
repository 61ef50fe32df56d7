export { HostCard, HOST_ID_ANNOTATION } from './HostCard';
