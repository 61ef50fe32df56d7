import { Request, Response } from 'express';

/**
 * Answers with Backstage's error body (`{ error: { name, message }, request,
 * response }`, what `ResponseError` reads), never a stack.
 */
export function sendError(
  req: Request,
  res: Response,
  statusCode: number,
  error: { name: string; message: string; code?: string },
) {
  res.status(statusCode).json({
    error: {
      name: error.name,
      message: error.message,
      ...(error.code ? { code: error.code } : {}),
    },
    request: { method: req.method, url: req.originalUrl },
    response: { statusCode },
  });
}
