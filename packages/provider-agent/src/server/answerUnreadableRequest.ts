import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { AgentError } from '../errors/AgentError';

/**
 * A request Node's HTTP parser cannot read (a request line or headers past
 * its limit, bytes that are not HTTP) still gets the agent's error shape
 * rather than a bare status line; then the connection closes.
 */
export function answerUnreadableRequest(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  logger: Logger,
) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify(
    new AgentError(
      'INVALID_REQUEST',
      tooLarge
        ? 'The request line or headers are too large'
        : `The request could not be read as HTTP (${err.code ?? err.message})`,
    ).toJSON(),
  );
  logger.debug({ code: err.code }, 'unreadable request');
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  socket.end(
    [
      `HTTP/1.1 ${status} ${reason}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}
