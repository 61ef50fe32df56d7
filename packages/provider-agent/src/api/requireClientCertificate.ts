import type { RequestHandler } from 'express';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AgentError } from '../errors/AgentError';
import type { DiskExports } from '../migration/DiskExports';
import { hostIdsOf } from '../migration/peerIdentity';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EXPORT_MANIFEST = /^\/v1\/disks\/([^/]+)\/exports\/([^/]+)$/;

/**
 * TLS already refused callers without a certificate from our CA; this also
 * refuses certificates issued for another purpose (a server certificate).
 * Then who may call what: the backend's certificate (no `urn:tempest:host:` name)
 * every route; a peer agent's certificate (one naming a host) only the
 * manifest of an export made for exactly that certificate (its transfer is
 * the upgrade, checked there the same way).
 */
export function requireCaller(
  exports: Pick<DiskExports, 'peerProblem'>,
): RequestHandler {
  return (req, _res, next) => {
    const problem = clientCertificateProblem(req.socket);
    if (problem) {
      next(problem);
      return;
    }
    const cert = (req.socket as TLSSocket).getPeerCertificate();
    const hosts = hostIdsOf(cert);
    if (!hosts.length) {
      next();
      return;
    }
    const manifest = req.method === 'GET' && EXPORT_MANIFEST.exec(req.path);
    if (manifest) {
      try {
        next(
          exports.peerProblem(
            decodeURIComponent(manifest[1]),
            decodeURIComponent(manifest[2]),
            cert,
          ),
        );
      } catch {
        next(new AgentError('NOT_FOUND', `${req.path} names no export`));
      }
      return;
    }
    next(
      new AgentError(
        'CLIENT_CERT_REQUIRED',
        `${req.method} ${req.path} needs the backend's certificate; the certificate of host ${hosts.join(', ')} may only read and transfer an export made for it`,
      ),
    );
  };
}

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
