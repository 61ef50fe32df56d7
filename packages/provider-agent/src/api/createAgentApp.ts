import express from 'express';
import * as OpenApiValidator from 'express-openapi-validator';
import type { AgentServices } from '../createAgentServices';
import { AgentError } from '../errors/AgentError';
import { spec } from '../schema/openapi.generated';
import { diskRoutes } from './diskRoutes';
import { domainRoutes } from './domainRoutes';
import { errorHandler } from './errorHandler';
import { imageRoutes } from './imageRoutes';
import { liveMigrationRoutes } from './liveMigrationRoutes';
import { migrationRoutes } from './migrationRoutes';
import { requireCaller } from './requireClientCertificate';
import { systemRoutes } from './systemRoutes';

/** The `/v1` API: client certificate check, request validation from the spec, routes, one error shape. */
export function createAgentApp(agent: AgentServices): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requireCaller(agent.exports, agent.incoming));
  // `/v1/disks/` is not `/v1/disks`: an empty name is refused, never read as the list.
  app.use((req, _res, next) =>
    next(
      req.path.length > 1 && req.path.endsWith('/')
        ? new AgentError(
            'NOT_FOUND',
            `${req.method} ${req.path} is not part of the agent API (an empty name, or a trailing slash)`,
          )
        : undefined,
    ),
  );
  app.use(express.json({ limit: '1mb' }));
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(spec);
  });
  app.use(
    OpenApiValidator.middleware({
      apiSpec: structuredClone(spec) as any,
      validateRequests: { allowUnknownQueryParameters: false },
      validateResponses: false,
      ignorePaths: /^\/v1\/openapi\.json$/,
    }),
  );
  app.use(systemRoutes(agent));
  app.use(imageRoutes(agent));
  app.use(migrationRoutes(agent));
  app.use(liveMigrationRoutes(agent));
  app.use(diskRoutes(agent));
  app.use(domainRoutes(agent));
  app.use(errorHandler(agent.logger));
  return app;
}
