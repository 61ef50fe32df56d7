import { Router } from 'express';
import type { AgentServices } from '../createAgentServices';
import { AgentError } from '../errors/AgentError';
import { RSYNC_UPGRADE } from '../migration/rsyncUpgradeHandler';
import { asyncHandler } from './asyncHandler';

export function migrationRoutes(agent: AgentServices): Router {
  const router = Router();
  const { exports, imports } = agent;
  router.post(
    '/v1/disks/:name/exports',
    asyncHandler(async (req, res) =>
      res.status(201).json(await exports.create(req.params.name, req.body)),
    ),
  );
  router.get('/v1/disks/:name/exports/:id', (req, res) => {
    res.json(exports.get(req.params.name, req.params.id));
  });
  router.delete(
    '/v1/disks/:name/exports/:id',
    asyncHandler(async (req, res) => {
      await exports.remove(req.params.name, req.params.id);
      res.status(204).end();
    }),
  );
  router.get('/v1/disks/:name/exports/:id/rsync', (_req, _res, next) =>
    next(
      new AgentError(
        'INVALID_REQUEST',
        `An export is transferred by its peer agent with Upgrade: ${RSYNC_UPGRADE}, not read as a plain GET`,
      ),
    ),
  );
  router.get('/v1/imports', (_req, res) => {
    res.json({ items: imports.list() });
  });
  router.post(
    '/v1/imports',
    asyncHandler(async (req, res) =>
      res.status(202).json(await imports.start(req.body)),
    ),
  );
  router.get('/v1/imports/:id', (req, res) => {
    res.json(imports.get(req.params.id));
  });
  router.delete(
    '/v1/imports/:id',
    asyncHandler(async (req, res) =>
      res.json(await imports.cancel(req.params.id)),
    ),
  );
  return router;
}
