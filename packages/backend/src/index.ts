import { createBackend } from '@backstage/backend-defaults';
import { tempestPermissionPolicyModule } from './permissions/tempestPermissionPolicyModule';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
// Each provider is inert until auth.providers configures it: guest in the
// embedded default, GitHub in production.
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-auth-backend-module-github-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(
  import('@tempest/backstage-plugin-catalog-backend-module-appliances'),
);

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@tempest/backstage-plugin-scaffolder-backend-module-appliances'),
);

backend.add(import('@backstage/plugin-permission-backend'));
backend.add(tempestPermissionPolicyModule);

backend.add(import('@tempest/backstage-plugin-appliances-backend'));
// Low balances (and other news) reach people as Backstage notifications.
backend.add(import('@backstage/plugin-notifications-backend'));

backend.start();
