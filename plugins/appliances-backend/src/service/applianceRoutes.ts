import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { applianceReadPermission } from '@tempest/backstage-plugin-appliances-common';
import { ApplianceDirectory } from '../appliances/ApplianceDirectory';
import { ApplianceStore } from '../database/ApplianceStore';
import { authorize } from './authorize';
import { AppliancesRouter } from './types';

export type ApplianceRoutesOptions = {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  appliances: ApplianceStore;
  directory: ApplianceDirectory;
};

/** GET /appliances, GET /appliances/:id, GET /appliance-facets. Users and services may read. */
export function addApplianceRoutes(
  router: AppliancesRouter,
  options: ApplianceRoutesOptions,
) {
  const { directory, appliances } = options;
  const read = (req: Parameters<typeof authorize>[1]) =>
    authorize(
      options,
      req,
      applianceReadPermission,
      ['user', 'service'],
      'Not allowed to read appliances',
    );

  router.get('/appliances', async (req, res) => {
    await read(req);
    const offset = Number(req.query.offset ?? 0);
    const limit = Number(req.query.limit ?? 50);
    const page = await directory.list({
      q: req.query.q?.trim() || undefined,
      ostype: req.query.ostype || undefined,
      provides: req.query.provides || undefined,
      channel: req.query.channel || undefined,
      offset,
      limit,
    });
    res.json({ ...page, offset, limit });
  });

  router.get('/appliances/:id', async (req, res) => {
    await read(req);
    res.json(await directory.get(req.params.id));
  });

  router.get('/appliance-facets', async (req, res) => {
    await read(req);
    const [ostypes, provides, channels] = await Promise.all([
      appliances.distinct('ostype'),
      appliances.distinct('provides'),
      appliances.distinct('channel_id'),
    ]);
    res.json({ ostypes, provides, channels });
  });
}
