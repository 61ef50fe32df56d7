import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import catalogGraphPlugin from '@backstage/plugin-catalog-graph/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import notificationsPlugin from '@backstage/plugin-notifications/alpha';
import appliancesPlugin, {
  tempestHomePlugin,
} from '@tempest/backstage-plugin-appliances';
import { appModule } from './modules/appModule';

export default createApp({
  features: [
    appModule,
    tempestHomePlugin,
    catalogPlugin,
    // Before the graph: Tempest's cards (with an instance's actions) come first on entity pages.
    appliancesPlugin,
    catalogGraphPlugin,
    scaffolderPlugin,
    userSettingsPlugin,
    notificationsPlugin,
  ],
});
