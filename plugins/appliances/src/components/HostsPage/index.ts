export { HostsPage } from './HostsPage';
