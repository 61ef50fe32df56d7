import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { AgentError } from '../errors/AgentError';

const NAME_FIELDS =
  /(params|body)[./](name|kind|appliance|deployment|disk|os|version|kernel|initrd)\b/;

/** Maps every failure to `{ error: { code, message } }` with a stable code. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let error: AgentError;
    if (err instanceof AgentError) {
      error = err;
    } else if (Array.isArray(err?.errors) && typeof err.status === 'number') {
      // express-openapi-validator: a request the spec does not allow.
      const detail = err.errors
        .map((e: any) => `${e.path}: ${e.message}`)
        .join('; ');
      if (err.status === 404 || err.status === 405) {
        error = new AgentError(
          'NOT_FOUND',
          `${req.method} ${req.path} is not part of the agent API`,
        );
      } else if (
        err.errors.some((e: any) => NAME_FIELDS.test(String(e.path)))
      ) {
        error = new AgentError('INVALID_NAME', detail);
      } else {
        error = new AgentError('INVALID_REQUEST', detail);
      }
      res.status(err.status === 405 ? 405 : error.status).json(error.toJSON());
      return;
    } else if (
      err?.type === 'entity.parse.failed' ||
      err?.type === 'entity.too.large'
    ) {
      error = new AgentError(
        'INVALID_REQUEST',
        `The request body could not be read: ${err.message}`,
      );
    } else {
      logger.error(
        { err, method: req.method, path: req.path },
        'request failed',
      );
      error = new AgentError(
        'INTERNAL',
        'The agent failed to handle the request; see its log',
      );
    }
    if (error.status >= 500)
      logger.warn(
        { code: error.code, err: error.message, path: req.path },
        'request failed',
      );
    res.status(error.status).json(error.toJSON());
  };
}
