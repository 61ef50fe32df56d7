import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import { ErrorRequestHandler, RequestHandler } from 'express';
import { randomBytes } from 'node:crypto';
import { sendError } from './sendError';

const STATUS_BY_NAME: Record<string, number> = {
  NotModifiedError: 304,
  InputError: 400,
  AuthenticationError: 401,
  NotAllowedError: 403,
  NotFoundError: 404,
  ConflictError: 409,
  NotImplementedError: 501,
  ServiceUnavailableError: 503,
};

/** The status an error asks for: its own `statusCode`/`status`, or by its Backstage name; else 500. */
export function statusOf(error: unknown): number {
  const e = error as { statusCode?: unknown; status?: unknown; name?: unknown };
  for (const value of [e?.statusCode, e?.status]) {
    if (Number.isInteger(value) && Number(value) >= 400 && Number(value) <= 599)
      return Number(value);
  }
  return STATUS_BY_NAME[String(e?.name)] ?? 500;
}

/**
 * The appliances API's error handler: the usual Backstage error body with
 * the error's name and message, never a stack or a cause (those stay in the
 * log), in every mode. An unexpected error (a 500) shows only a log id, so
 * no internal detail (a query, a path on the server) reaches the caller.
 */
export function errorHandler(logger: LoggerService): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const statusCode = statusOf(error);
    if (statusCode < 500 || (isError(error) && error.name in STATUS_BY_NAME)) {
      if (statusCode >= 500)
        logger.warn(`${req.method} ${req.originalUrl}: ${error}`);
      sendError(req, res, statusCode, {
        name: isError(error) ? error.name : 'Error',
        message: isError(error) ? error.message : String(error),
        code:
          isError(error) && typeof (error as any).code === 'string'
            ? (error as any).code
            : undefined,
      });
      return;
    }
    const logId = randomBytes(8).toString('hex');
    logger.error(
      `${req.method} ${req.originalUrl} failed (logId=${logId})`,
      isError(error) ? error : new Error(String(error)),
    );
    sendError(req, res, statusCode, {
      name: 'Error',
      message: `An internal error occurred; the backend log has its details under logId=${logId}`,
    });
  };
}

/** A path no route of the API serves: 404 with a message, like any other refusal. */
export const notFoundHandler: RequestHandler = (req, res) =>
  sendError(req, res, 404, {
    name: 'NotFoundError',
    message: `No ${req.method} ${req.path} in this API (see its openapi.json)`,
  });
