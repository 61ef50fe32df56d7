export { ChannelsPage, ChannelsView } from './ChannelsPage';
