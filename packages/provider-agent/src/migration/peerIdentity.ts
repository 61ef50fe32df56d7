import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { AgentError } from '../errors/AgentError';

const HOST_URI = 'URI:urn:tempest:host:';

/** The host ids a certificate names as `urn:tempest:host:<id>` (an agent's); none for the backend's. */
export function hostIdsOf(cert: Pick<PeerCertificate, 'subjectaltname'>) {
  return (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .filter(name => name.startsWith(HOST_URI))
    .map(name => name.slice(HOST_URI.length));
}

/** Why a certificate is not the peer's named by fingerprint and host id, or undefined when it is. */
export function peerMismatch(
  cert: Pick<PeerCertificate, 'subjectaltname' | 'fingerprint256'>,
  peer: { hostId: string; certificateFingerprint256: string },
): string | undefined {
  if (cert.fingerprint256 !== peer.certificateFingerprint256)
    return `its certificate is ${cert.fingerprint256 ?? 'missing'}, not ${peer.certificateFingerprint256}`;
  if (!hostIdsOf(cert).includes(peer.hostId))
    return `its certificate does not name host ${peer.hostId}`;
  return undefined;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * Whether a certificate may open TLS connections as a client (clientAuth, or
 * no extended key usage at all): agents enrolled before migration existed got
 * serverAuth only, and cannot call a source agent until they are renewed.
 */
export function canActAsClient(pem: string | Buffer): boolean {
  const usages = new X509Certificate(pem).keyUsage;
  return !usages || usages.includes(CLIENT_AUTH);
}

const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;
const HOST_ID = /^[A-Za-z0-9:._-]{1,64}$/;

/**
 * Checks what grants one peer agent something for a while (an export, an
 * incoming migration): the peer's host id and certificate fingerprint, and
 * the grant's lifetime (900 s when left out). Answers the lifetime.
 */
export function checkPeerGrant(
  request: {
    peer?: { hostId?: unknown; certificateFingerprint256?: unknown };
    ttlSeconds?: number;
  },
  peerIs: string,
): number {
  const peer = request?.peer;
  if (
    !peer ||
    typeof peer.hostId !== 'string' ||
    !HOST_ID.test(peer.hostId) ||
    typeof peer.certificateFingerprint256 !== 'string' ||
    !FINGERPRINT.test(peer.certificateFingerprint256)
  )
    throw new AgentError(
      'INVALID_REQUEST',
      `peer needs ${peerIs}'s hostId and the certificateFingerprint256 of its certificate (upper-case hex pairs joined by colons)`,
    );
  const ttlSeconds = request.ttlSeconds ?? 900;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 3600)
    throw new AgentError(
      'INVALID_REQUEST',
      'ttlSeconds must be a whole number from 1 to 3600',
    );
  return ttlSeconds;
}
