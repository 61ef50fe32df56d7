import https from 'node:https';
import type { Socket } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { AgentError } from '../errors/AgentError';
import { peerMismatch } from './peerIdentity';
import { RSYNC_UPGRADE } from './rsyncUpgradeHandler';

export interface PeerTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export interface PeerSource {
  agentUrl: string;
  hostId: string;
  certificateFingerprint256: string;
  /** What the peer is to this agent, for messages; `source` when left out. */
  role?: 'source' | 'destination';
}

const TIMEOUT_MS = 15_000;

class PeerMismatchError extends Error {}

/**
 * Options for calling a source agent with this agent's own certificate: the
 * source must present exactly the certificate the backend named (fingerprint
 * and host id), not merely one from the same CA.
 */
function requestOptions(tls: PeerTls, source: PeerSource, signal: AbortSignal) {
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    agent: false as const,
    signal,
    timeout: TIMEOUT_MS,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const mismatch = peerMismatch(cert, source);
      return mismatch
        ? new PeerMismatchError(
            `The agent at ${source.agentUrl} is not host ${source.hostId}: ${mismatch}`,
          )
        : undefined;
    },
  };
}

function failure(e: unknown, source: PeerSource): AgentError {
  if (e instanceof AgentError) return e;
  if (e instanceof PeerMismatchError)
    return new AgentError('PEER_CERTIFICATE_MISMATCH', e.message);
  if ((e as Error)?.name === 'AbortError')
    return new AgentError('TRANSFER_CANCELLED', 'The import was cancelled');
  return new AgentError(
    'TRANSFER_FAILED',
    `Could not reach the ${source.role ?? 'source'} agent at ${source.agentUrl}: ${(e as Error)?.message ?? e}`,
  );
}

function refusal(status: number, body: string, source: PeerSource) {
  let detail = body.slice(0, 500);
  try {
    const parsed = JSON.parse(body);
    if (parsed?.error?.code)
      detail = `${parsed.error.code}: ${parsed.error.message}`;
  } catch (e) {
    // Not JSON: the text as it came.
    if (!(e instanceof SyntaxError)) throw e;
  }
  return new AgentError(
    'TRANSFER_FAILED',
    `The ${source.role ?? 'source'} agent at ${source.agentUrl} answered ${status} (${detail})`,
  );
}

/** GETs JSON from the source agent over mutual TLS. */
export function getFromPeer<T>(
  tls: PeerTls,
  source: PeerSource,
  path: string,
  signal: AbortSignal,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(path, source.agentUrl),
      { ...requestOptions(tls, source, signal), method: 'GET' },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', c => {
          if (body.length < 1_000_000) body += c;
        });
        res.on('error', e => reject(failure(e, source)));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(refusal(res.statusCode ?? 0, body, source));
            return;
          }
          try {
            resolve(JSON.parse(body));
          } catch {
            reject(
              new AgentError(
                'TRANSFER_FAILED',
                `The ${source.role ?? 'source'} agent at ${source.agentUrl} answered something other than JSON`,
              ),
            );
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', e => reject(failure(e, source)));
    req.end();
  });
}

/** Opens the export's rsync stream: the TLS socket after `101 Switching Protocols`. */
export function openRsyncStream(
  tls: PeerTls,
  source: PeerSource,
  path: string,
  signal: AbortSignal,
): Promise<Socket> {
  return openPeerStream(tls, source, path, signal, RSYNC_UPGRADE);
}

/** GET `path` upgraded to `protocol` on the peer agent: the TLS socket after `101 Switching Protocols`. */
export function openPeerStream(
  tls: PeerTls,
  source: PeerSource,
  path: string,
  signal: AbortSignal,
  protocol: string,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, source.agentUrl), {
      ...requestOptions(tls, source, signal),
      method: 'GET',
      headers: { Connection: 'Upgrade', Upgrade: protocol },
    });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', c => (body += c));
      res.on('end', () => reject(refusal(res.statusCode ?? 0, body, source)));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 15 s')));
    req.on('error', e => reject(failure(e, source)));
    req.end();
  });
}
