import { randomBytes } from 'node:crypto';
import { InputError, NotAllowedError } from '@backstage/errors';
import { BackendPki, sha256Hex } from './BackendPki';
import { Host, HostStore } from './HostStore';

export type EnrolmentToken = {
  token: string;
  tokenHash: string;
  expiresAt: Date;
};

export type EnrolmentResult = {
  host: Host;
  caCert: string;
  cert: string;
  /** Only when the agent sent no CSR. */
  key?: string;
  heartbeatToken: string;
};

/**
 * One-time enrolment: registration hands the provider a token; the agent
 * trades it (once, before it expires) for a server certificate signed by the
 * backend's CA, the CA certificate, and a heartbeat token. Only hashes of
 * either token are stored.
 */
export class HostEnrolment {
  constructor(
    private readonly hosts: HostStore,
    private readonly pki: BackendPki,
    private readonly tokenTtlMs: number,
  ) {}

  newToken(now = Date.now()): EnrolmentToken {
    const token = `tempest-enrol-${randomBytes(24).toString('base64url')}`;
    return {
      token,
      tokenHash: sha256Hex(token),
      expiresAt: new Date(now + this.tokenTtlMs),
    };
  }

  async enrol(request: {
    token: string;
    csr?: string;
    agentUrl?: string;
  }): Promise<EnrolmentResult> {
    const tokenHash = sha256Hex(request.token);
    const heartbeatToken = `tempest-agent-${randomBytes(24).toString('base64url')}`;
    // The certificate is issued before the token is consumed so a failure
    // here leaves the token usable; the name comes from the stored host.
    const pending = await this.hosts.findByEnrolmentToken(tokenHash);
    if (!pending) {
      throw new NotAllowedError(
        'The enrolment token is unknown, used or expired',
      );
    }
    // The certificate names what the provider registered, never what the
    // request claims: an agent cannot enrol as someone else's address.
    if (
      request.agentUrl !== undefined &&
      normalisedUrl(request.agentUrl) !== normalisedUrl(pending.agentUrl)
    ) {
      throw new InputError(
        `Host '${pending.name}' is registered with agent URL ${pending.agentUrl}, not ${request.agentUrl}: enrol with --agent-url ${pending.agentUrl}, or have its provider change the host's agent URL first`,
      );
    }
    const issued = await this.pki.issueAgentCertificate({
      name: pending.name,
      hostId: pending.id,
      sans: sansOf(pending.agentUrl),
      csr: request.csr,
    });
    const host = await this.hosts.consumeEnrolmentToken(tokenHash, {
      agentTokenHash: sha256Hex(heartbeatToken),
      certificateFingerprint: issued.fingerprint,
    });
    if (!host) {
      throw new NotAllowedError(
        'The enrolment token is unknown, used or expired',
      );
    }
    return {
      host,
      caCert: this.pki.ca.cert,
      cert: issued.cert,
      ...(issued.key ? { key: issued.key } : {}),
      heartbeatToken,
    };
  }
}

function sansOf(agentUrl: string): string[] {
  if (!URL.canParse(agentUrl)) return [];
  const hostname = new URL(agentUrl).hostname.replace(/^\[|\]$/g, '');
  return hostname ? [hostname] : [];
}

function normalisedUrl(url: string): string {
  return URL.canParse(url) ? new URL(url).href.replace(/\/$/, '') : url;
}
