import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  instanceConsolePermission,
  instanceReadPermission,
} from '@tempest/backstage-plugin-appliances-common';
import { Request } from 'express';
import { InstanceConsole } from '../console/InstanceConsole';
import { InstanceStore } from '../instances/InstanceStore';
import { audited } from './audited';
import { InstanceAccessDeps, instanceAccess } from './instanceAccess';
import { AppliancesRouter } from './types';
import { AuditorService } from '@backstage/backend-plugin-api';

export type ConsoleRoutesOptions = InstanceAccessDeps & {
  auditor: AuditorService;
  instances: InstanceStore;
  instanceConsole: InstanceConsole;
};

/**
 * POST /instances/:id/console (a ticket for the console websocket) and
 * GET /instances/:id/serial-log. Those who may see the instance but not
 * open its console (the provider of its host) are refused; others are told
 * it does not exist.
 */
export function addConsoleRoutes(
  router: AppliancesRouter,
  options: ConsoleRoutesOptions,
) {
  const { instances, instanceConsole } = options;

  async function consoleable(req: Request<any, any, any, any>, id: string) {
    const access = await instanceAccess(options, req, [
      instanceReadPermission,
      instanceConsolePermission,
    ]);
    const [readDecision, consoleDecision] = access.decisions;
    const instance =
      readDecision === 'deny'
        ? undefined
        : await instances.getVisible(id, readDecision.criteria);
    if (!instance) throw new NotFoundError(`No instance '${id}'`);
    if (
      consoleDecision === 'deny' ||
      !(await instances.getVisible(id, consoleDecision.criteria))
    )
      throw new NotAllowedError(
        `You may see instance ${instance.hostname} but not open its console`,
      );
    return { instance, principalRef: access.principalRef };
  }

  router.post('/instances/:id/console', async (req, res) => {
    const { id } = req.params;
    const issued = await audited(
      options.auditor,
      req,
      'instance-console-ticket',
      { instanceId: id },
      async () => {
        const { instance, principalRef } = await consoleable(req, id);
        return instanceConsole.issueTicket(instance, principalRef);
      },
    );
    res.status(201).json({
      ticket: issued.ticket,
      expiresAt: issued.expiresAt.toISOString(),
      websocketPath: `/console/sessions/${encodeURIComponent(id)}?ticket=${issued.ticket}`,
    });
  });

  router.get('/instances/:id/serial-log', async (req, res) => {
    const { instance } = await consoleable(req, req.params.id);
    res.type('text/plain').send(await instanceConsole.serialLog(instance));
  });
}
