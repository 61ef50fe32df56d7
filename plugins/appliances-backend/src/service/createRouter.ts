import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { channelManagePermission } from '@tempest/backstage-plugin-appliances-common';
import { spec } from '../schema/openapi.generated';
import { ChannelStore } from '../database/ChannelStore';

export interface RouterOptions {
  auditor: AuditorService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  channels: ChannelStore;
}

export async function createRouter(options: RouterOptions) {
  const { auditor, httpAuth, permissions, channels } = options;
  const router = await createValidatedOpenApiRouter<typeof spec>(spec);

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/summary', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({ channels: await channels.count() });
  });

  router.get('/channels', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({ items: await channels.list() });
  });

  router.post('/channels', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const auditorEvent = await auditor.createEvent({
      eventId: 'channel-create',
      request: req,
      severityLevel: 'medium',
      meta: { channelId: req.body.id, url: req.body.url },
    });
    try {
      const [decision] = await permissions.authorize(
        [{ permission: channelManagePermission }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError('Only admins may subscribe channels');
      }
      const channel = await channels.create({
        id: req.body.id,
        url: req.body.url,
        owner: req.body.owner,
        trustedKeys: req.body.trustedKeys ?? [],
        refreshMinutes: req.body.refreshMinutes,
        source: 'api',
      });
      await auditorEvent.success();
      res.status(201).json(channel);
    } catch (error) {
      await auditorEvent.fail({ error });
      throw error;
    }
  });

  return router;
}
