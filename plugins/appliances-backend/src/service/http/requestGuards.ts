import express, { RequestHandler } from 'express';
import { findInvalidText } from './findInvalidText';
import { sendError } from './sendError';

/** The largest JSON body the API takes: a channel with 16 armored keys of 64 KiB fits. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * JSON bodies up to `maxBytes`; a larger one is answered 413 here (the
 * validated router would otherwise turn every middleware error into a 400).
 */
export function jsonBody(maxBytes = MAX_BODY_BYTES): RequestHandler {
  const parse = express.json({ limit: maxBytes });
  return (req, res, next) =>
    parse(req, res, error => {
      if (error?.type === 'entity.too.large') {
        sendError(req, res, 413, {
          name: 'PayloadTooLargeError',
          message: `The request body is larger than the ${maxBytes} bytes this API accepts`,
        });
        return;
      }
      next(error);
    });
}

/**
 * Refuses (400) text no database stores as sent — NUL characters and unpaired
 * surrogates — in the path, the query and the JSON body, before any route
 * runs: PostgreSQL would fail on them (a 500) where SQLite stores them.
 */
export const rejectInvalidText: RequestHandler = (req, res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    sendError(req, res, 400, {
      name: 'InputError',
      message: 'The path is not valid percent-encoded UTF-8',
    });
    return;
  }
  const found =
    findInvalidText(path, 'the path') ??
    findInvalidText(req.query, 'query') ??
    findInvalidText(req.body, 'body');
  if (found) {
    sendError(req, res, 400, {
      name: 'InputError',
      message: `Text cannot be stored: ${found.where} ${found.reason}`,
    });
    return;
  }
  next();
};
