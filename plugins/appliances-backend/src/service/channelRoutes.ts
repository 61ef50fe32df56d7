import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  applianceReadPermission,
  channelManagePermission,
} from '@tempest/backstage-plugin-appliances-common';
import { Request } from 'express';
import { ChannelStore } from '../database/ChannelStore';
import { ChannelRefresher } from '../channels/ChannelRefresher';
import { ApplianceDirectory } from '../appliances/ApplianceDirectory';
import { normalizeOwnerRef } from '../permissions/ownerRef';
import { audited } from './audited';
import { authorize } from './authorize';
import { AppliancesRouter } from './types';

export type ChannelRoutesOptions = {
  auditor: AuditorService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  channels: ChannelStore;
  refresher?: ChannelRefresher;
  directory?: ApplianceDirectory;
};

/** GET/POST /channels, DELETE /channels/:id, POST /channels/:id/refresh. */
export function addChannelRoutes(
  router: AppliancesRouter,
  options: ChannelRoutesOptions,
) {
  const { auditor, channels, refresher } = options;

  const manage = (req: Request<any, any, any, any>, refusal: string) =>
    authorize(options, req, channelManagePermission, ['user'], refusal);

  router.get('/channels', async (req, res) => {
    await authorize(
      options,
      req,
      applianceReadPermission,
      ['user', 'service'],
      'Not allowed to read channels',
    );
    res.json({ items: await channels.list() });
  });

  router.post('/channels', async (req, res) => {
    const channel = await audited(
      auditor,
      req,
      'channel-create',
      { channelId: req.body.id, url: req.body.url },
      async () => {
        await manage(req, 'Only admins may subscribe channels');
        const owner = normalizeOwnerRef(req.body.owner);
        if (!owner)
          throw new InputError(
            `owner '${req.body.owner}' is not a user or group entity ref such as group:default/platform`,
          );
        return channels.create({
          id: req.body.id,
          url: req.body.url,
          owner,
          trustedKeys: req.body.trustedKeys ?? [],
          refreshMinutes: req.body.refreshMinutes,
          source: 'api',
        });
      },
    );
    // The first fetch runs in the background; its outcome shows in the channel's status.
    refresher?.refreshInBackground(channel.id);
    res.status(201).json(channel);
  });

  router.delete('/channels/:id', async (req, res) => {
    const { id } = req.params;
    await audited(
      auditor,
      req,
      'channel-delete',
      { channelId: id },
      async () => {
        await manage(req, 'Only admins may remove channels');
        const channel = await channels.get(id);
        if (!channel) throw new NotFoundError(`No channel '${id}'`);
        if (channel.source === 'config') {
          throw new ConflictError(
            `Channel '${id}' comes from app-config (appliances.channels); remove it there`,
          );
        }
        await channels.delete(id);
        options.directory?.invalidate();
      },
    );
    res.status(204).end();
  });

  router.post('/channels/:id/refresh', async (req, res) => {
    const { id } = req.params;
    const outcome = await audited(
      auditor,
      req,
      'channel-refresh',
      { channelId: id },
      async () => {
        await manage(req, 'Only admins may refresh channels');
        if (!(await channels.get(id)))
          throw new NotFoundError(`No channel '${id}'`);
        if (!refresher)
          throw new NotFoundError('Channel fetching is not enabled');
        return refresher.refresh(id, {
          force: req.query.force === true || String(req.query.force) === 'true',
        });
      },
    );
    const channel = (await channels.get(id))!;
    res.json({ ...outcome, channel });
  });
}
