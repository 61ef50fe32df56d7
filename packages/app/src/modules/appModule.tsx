import { createFrontendModule } from '@backstage/frontend-plugin-api';
import {
  NavContentBlueprint,
  SignInPageBlueprint,
} from '@backstage/plugin-app-react';
import { TempestNav } from './TempestNav';

const signInPage = SignInPageBlueprint.make({
  params: {
    loader: async () =>
      import('./TempestSignInPage').then(m => m.TempestSignInPage),
  },
});

const nav = NavContentBlueprint.make({
  params: { component: TempestNav },
});

/** The app's own parts: the sign-in page and the sidebar. */
export const appModule = createFrontendModule({
  pluginId: 'app',
  extensions: [signInPage, nav],
});
