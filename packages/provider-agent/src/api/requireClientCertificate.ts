import type { RequestHandler } from 'express';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { AgentError } from '../errors/AgentError';
import type { DiskExports } from '../migration/DiskExports';
import type { IncomingMigrations } from '../migration/IncomingMigrations';
import { hostIdsOf } from '../migration/peerIdentity';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const EXPORT_MANIFEST = /^\/v1\/disks\/([^/]+)\/exports\/([^/]+)$/;
const INCOMING = /^\/v1\/domains\/([^/]+)\/incoming\/([^/]+)$/;

/**
 * TLS already refused callers without a certificate from our CA; this also
 * refuses certificates issued for another purpose (a server certificate).
 * Then who may call what: the backend's certificate (no `urn:tempest:host:` name)
 * every route; a peer agent's certificate (one naming a host) only the
 * manifest of an export made for exactly that certificate, and an incoming
 * migration waiting for exactly that certificate (their streams are
 * upgrades, checked there the same way).
 */
export function requireCaller(
  exports: Pick<DiskExports, 'peerProblem'>,
  incoming: Pick<IncomingMigrations, 'peerProblem'>,
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
    const waiting = req.method === 'GET' && INCOMING.exec(req.path);
    const found = manifest || waiting;
    if (found) {
      const owner = manifest ? exports : incoming;
      try {
        next(
          owner.peerProblem(
            decodeURIComponent(found[1]),
            decodeURIComponent(found[2]),
            cert,
          ),
        );
      } catch {
        next(
          new AgentError(
            'NOT_FOUND',
            `${req.path} names no ${manifest ? 'export' : 'incoming migration'}`,
          ),
        );
      }
      return;
    }
    next(
      new AgentError(
        'CLIENT_CERT_REQUIRED',
        `${req.method} ${req.path} needs the backend's certificate; the certificate of host ${hosts.join(', ')} may only read and transfer an export made for it, or read and open an incoming migration waiting for it`,
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
