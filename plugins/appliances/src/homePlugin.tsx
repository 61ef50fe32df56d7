import {
  PageBlueprint,
  createFrontendPlugin,
  createRouteRef,
} from '@backstage/frontend-plugin-api';
import HomeIcon from '@material-ui/icons/Home';

export const homeRouteRef = createRouteRef();

/** `/`: Tempest's home page. */
export const homePage = PageBlueprint.make({
  params: {
    path: '/',
    routeRef: homeRouteRef,
    title: 'Home',
    icon: <HomeIcon fontSize="inherit" />,
    loader: () => import('./components/HomePage').then(m => <m.HomePage />),
  },
});

/**
 * The home page as a plugin of its own, so its header and sidebar entry say
 * Home and link to `/` rather than to the Appliances page.
 */
export const tempestHomePlugin = createFrontendPlugin({
  pluginId: 'tempest-home',
  title: 'Home',
  icon: <HomeIcon fontSize="inherit" />,
  routes: { root: homeRouteRef },
  extensions: [homePage],
});
