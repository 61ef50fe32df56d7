import type { RequestHandler } from 'express';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AgentError } from '../errors/AgentError';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * TLS already refused callers without a certificate from our CA; this also
 * refuses certificates issued for another purpose (a server certificate).
 */
export const requireClientCertificate: RequestHandler = (req, _res, next) =>
  next(clientCertificateProblem(req.socket));

/** Why a connection's peer may not call the agent, or undefined when it may. */
export function clientCertificateProblem(
  s: Socket | TLSSocket,
): AgentError | undefined {
  const socket = s as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) {
    return new AgentError(
      'CLIENT_CERT_REQUIRED',
      'A client certificate issued by the agent CA is required',
    );
  }
  const cert = socket.getPeerCertificate();
  const usages: string[] | undefined = (cert as any).ext_key_usage;
  if (usages && !usages.includes(CLIENT_AUTH)) {
    return new AgentError(
      'CLIENT_CERT_REQUIRED',
      'The certificate presented is not a client certificate',
    );
  }
  return undefined;
}
