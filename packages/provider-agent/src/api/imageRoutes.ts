import { Router } from 'express';
import type { AgentServices } from '../createAgentServices';
import { ImageKind } from '../images/ImageKind';
import { asyncHandler } from './asyncHandler';

export function imageRoutes(agent: AgentServices): Router {
  const router = Router();
  const { images } = agent;
  const kind = (value: string) => value as ImageKind;

  router.get(
    '/v1/images',
    asyncHandler(async (_req, res) => res.json({ items: await images.list() })),
  );
  router.get(
    '/v1/images/:kind/:name',
    asyncHandler(async (req, res) =>
      res.json(await images.get(kind(req.params.kind), req.params.name)),
    ),
  );
  router.put(
    '/v1/images/:kind/:name',
    asyncHandler(async (req, res) => {
      const result = await images.install(
        kind(req.params.kind),
        req.params.name,
        req.body,
      );
      if (result.status === 'installed') res.status(200).json(result.image);
      else res.status(202).json(result.download);
    }),
  );
  router.delete(
    '/v1/images/:kind/:name',
    asyncHandler(async (req, res) => {
      await images.remove(kind(req.params.kind), req.params.name);
      res.status(204).end();
    }),
  );
  router.post(
    '/v1/images/:kind/:name/check',
    asyncHandler(async (req, res) =>
      res.json(await images.check(kind(req.params.kind), req.params.name)),
    ),
  );
  router.post(
    '/v1/images/:kind/:name/upgrade',
    asyncHandler(async (req, res) =>
      res
        .status(202)
        .json(
          await images.upgrade(
            kind(req.params.kind),
            req.params.name,
            req.body,
          ),
        ),
    ),
  );
  router.get('/v1/downloads', (_req, res) => {
    res.json({ items: images.downloads() });
  });
  router.get('/v1/downloads/:id', (req, res) => {
    res.json(images.download(req.params.id));
  });
  router.delete(
    '/v1/downloads/:id',
    asyncHandler(async (req, res) =>
      res.json(await images.cancel(req.params.id)),
    ),
  );
  return router;
}
