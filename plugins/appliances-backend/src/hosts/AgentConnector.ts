import {
  AgentClient,
  createAgentClient,
} from '@tempest/backstage-plugin-appliances-common/agent';
import type { PeerCertificate } from 'node:tls';
import WebSocket from 'ws';
import { BackendPki } from './BackendPki';
import { Host } from './HostStore';

/** What the backend needs to call a host's agent: where, and which certificate it must present. */
export type AgentAddress = Pick<
  Host,
  'id' | 'name' | 'agentUrl' | 'agentCertificateFingerprint'
>;

/**
 * One mutual-TLS client per agent, kept alive and reused. Every connection
 * checks that the peer presents the certificate issued to that host at
 * enrolment (its fingerprint), not merely one from the backend's CA: a host
 * whose URL points at another host's agent reaches nothing.
 */
export class AgentConnector {
  private readonly clients = new Map<string, AgentClient>();

  constructor(
    private readonly pki: Pick<BackendPki, 'ca' | 'client'>,
    private readonly options: { timeoutMs?: number } = {},
  ) {}

  forHost(host: AgentAddress): AgentClient {
    const fingerprint = host.agentCertificateFingerprint;
    if (!fingerprint) {
      throw new Error(
        `Host ${host.name} has not enrolled: there is no agent certificate to trust`,
      );
    }
    const key = `${host.id} ${host.agentUrl} ${fingerprint}`;
    let client = this.clients.get(key);
    if (!client) {
      client = createAgentClient({
        baseUrl: host.agentUrl,
        ca: this.pki.ca.cert,
        cert: this.pki.client.cert,
        key: this.pki.client.key,
        certificateFingerprint256: fingerprint,
        timeoutMs: this.options.timeoutMs ?? 30_000,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * Opens the agent's console websocket for a domain: mutual TLS with the
   * backend's client certificate, and the host's own agent certificate only.
   * Binary messages carry the display's RFB bytes both ways.
   */
  openConsole(host: AgentAddress, domainName: string): WebSocket {
    const fingerprint = host.agentCertificateFingerprint;
    if (!fingerprint) {
      throw new Error(
        `Host ${host.name} has not enrolled: there is no agent certificate to trust`,
      );
    }
    const url = new URL(
      `v1/domains/${encodeURIComponent(domainName)}/vnc`,
      `${host.agentUrl.replace(/\/+$/, '')}/`,
    );
    url.protocol = 'wss:';
    // ws hands these to tls.connect; its types know another checkServerIdentity.
    const tls: object = {
      checkServerIdentity: (_host: string, cert: PeerCertificate) =>
        cert.fingerprint256 === fingerprint
          ? undefined
          : new Error(
              `The agent at ${host.agentUrl} presented certificate ${cert.fingerprint256}, not the one issued to host ${host.name}`,
            ),
    };
    return new WebSocket(url, {
      ...tls,
      ca: this.pki.ca.cert,
      cert: this.pki.client.cert,
      key: this.pki.client.key,
      perMessageDeflate: false,
      handshakeTimeout: this.options.timeoutMs ?? 30_000,
    });
  }

  close() {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
