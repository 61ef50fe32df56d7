import { Router } from 'express';
import type { AgentServices } from '../createAgentServices';
import { AgentError } from '../errors/AgentError';
import { MIGRATION_UPGRADE } from '../migration/migrationStreams';
import { asyncHandler } from './asyncHandler';

/** Live migration: incoming domains on the destination, moves of running domains on the source. */
export function liveMigrationRoutes(agent: AgentServices): Router {
  const router = Router();
  const { incoming, migrations } = agent;
  router.post(
    '/v1/domains/:name/incoming',
    asyncHandler(async (req, res) =>
      res.status(201).json(await incoming.create(req.params.name, req.body)),
    ),
  );
  router.get('/v1/domains/:name/incoming/:id', (req, res) => {
    res.json(incoming.get(req.params.name, req.params.id));
  });
  router.delete(
    '/v1/domains/:name/incoming/:id',
    asyncHandler(async (req, res) => {
      await incoming.abandon(req.params.name, req.params.id);
      res.status(204).end();
    }),
  );
  router.get(
    '/v1/domains/:name/incoming/:id/streams/:channel',
    (_req, _res, next) =>
      next(
        new AgentError(
          'INVALID_REQUEST',
          `A migration stream is opened by the source agent with Upgrade: ${MIGRATION_UPGRADE}, not read as a plain GET`,
        ),
      ),
  );
  router.post(
    '/v1/domains/:name/migrations',
    asyncHandler(async (req, res) =>
      res.status(202).json(await migrations.start(req.params.name, req.body)),
    ),
  );
  router.get('/v1/domains/:name/migrations/:id', (req, res) => {
    res.json(migrations.get(req.params.name, req.params.id));
  });
  router.delete(
    '/v1/domains/:name/migrations/:id',
    asyncHandler(async (req, res) =>
      res.json(await migrations.cancel(req.params.name, req.params.id)),
    ),
  );
  return router;
}
