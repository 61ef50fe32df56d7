import { Router } from 'express';
import type { AgentServices } from '../createAgentServices';
import { AgentError } from '../errors/AgentError';
import { SimulatedHypervisor } from '../hypervisor/SimulatedHypervisor';
import { asyncHandler } from './asyncHandler';

export function domainRoutes(agent: AgentServices): Router {
  const router = Router();
  const { domains } = agent;
  router.get(
    '/v1/domains',
    asyncHandler(async (_req, res) =>
      res.json({ items: await domains.list() }),
    ),
  );
  router.get(
    '/v1/domains/:name',
    asyncHandler(async (req, res) =>
      res.json(await domains.get(req.params.name)),
    ),
  );
  router.put(
    '/v1/domains/:name',
    asyncHandler(async (req, res) =>
      res.status(201).json(await domains.define(req.params.name, req.body)),
    ),
  );
  router.delete(
    '/v1/domains/:name',
    asyncHandler(async (req, res) => {
      await domains.undefine(req.params.name);
      res.status(204).end();
    }),
  );
  router.get(
    '/v1/domains/:name/state',
    asyncHandler(async (req, res) =>
      res.json(await domains.state(req.params.name)),
    ),
  );
  for (const action of ['start', 'destroy', 'suspend', 'resume'] as const) {
    router.post(
      `/v1/domains/:name/${action}`,
      asyncHandler(async (req, res) =>
        res.json(await domains[action](req.params.name)),
      ),
    );
  }
  router.post(
    '/v1/domains/:name/shutdown',
    asyncHandler(async (req, res) =>
      res.json(
        await domains.shutdown(req.params.name, req.body?.timeoutSeconds ?? 60),
      ),
    ),
  );
  router.get(
    '/v1/domains/:name/console',
    asyncHandler(async (req, res) =>
      res.type('text/plain').send(await domains.console(req.params.name)),
    ),
  );
  router.put(
    '/v1/domains/:name/simulated-load',
    asyncHandler(async (req, res) => {
      if (!(agent.hypervisor instanceof SimulatedHypervisor)) {
        throw new AgentError(
          'NOT_SUPPORTED',
          'Only the simulated driver takes a simulated load',
        );
      }
      await domains.state(req.params.name);
      await agent.hypervisor.setLoad(req.params.name, req.body.load);
      res.status(204).end();
    }),
  );
  return router;
}
