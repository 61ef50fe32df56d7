export { ApplianceLink, HostLink, InstanceLink } from './EntityLinks';
