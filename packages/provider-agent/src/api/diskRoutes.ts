import { Router } from 'express';
import type { AgentServices } from '../createAgentServices';
import { asyncHandler } from './asyncHandler';

export function diskRoutes(agent: AgentServices): Router {
  const router = Router();
  const { disks } = agent;
  router.get(
    '/v1/disks',
    asyncHandler(async (_req, res) => res.json({ items: await disks.list() })),
  );
  router.post(
    '/v1/disks',
    asyncHandler(async (req, res) =>
      res.status(201).json(await disks.create(req.body)),
    ),
  );
  router.get(
    '/v1/disks/:name',
    asyncHandler(async (req, res) =>
      res.json(await disks.get(req.params.name)),
    ),
  );
  router.put(
    '/v1/disks/:name/volumes/:volume',
    asyncHandler(async (req, res) => {
      const { volume, created } = await disks.createVolume(
        req.params.name,
        req.params.volume,
        req.body,
      );
      res.status(created ? 201 : 200).json(volume);
    }),
  );
  router.delete(
    '/v1/disks/:name',
    asyncHandler(async (req, res) => {
      await disks.remove(req.params.name);
      res.status(204).end();
    }),
  );
  return router;
}
