import { Router } from 'express';
import type { AgentServices } from '../createAgentServices';
import { asyncHandler } from './asyncHandler';

export function systemRoutes(agent: AgentServices): Router {
  const router = Router();
  router.get(
    '/v1/info',
    asyncHandler(async (_req, res) => res.json(await agent.info())),
  );
  router.get(
    '/v1/stats',
    asyncHandler(async (_req, res) => res.json(await agent.stats.current())),
  );
  return router;
}
