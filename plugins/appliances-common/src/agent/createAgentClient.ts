import https from 'node:https';
import type { PeerCertificate } from 'node:tls';
import createClient, { Client } from 'openapi-fetch';
import type { paths } from '../generated/agentApi';

export interface AgentClientOptions {
  /** e.g. https://host-1:7443 */
  baseUrl: string;
  /** PEM of the CA that issued the agent's server certificate. */
  ca: string | Buffer;
  /** PEM client certificate and key issued by the same CA. */
  cert: string | Buffer;
  key: string | Buffer;
  /** Server name to verify when baseUrl uses an IP or another name. */
  servername?: string;
  /**
   * SHA-256 fingerprint (`AB:CD:…`, as Node's `fingerprint256`) of the one
   * certificate this agent may present. When given, a peer whose certificate
   * comes from the CA but is not this one is refused, whatever name it
   * carries: the agent is identified by its certificate, not by its URL.
   */
  certificateFingerprint256?: string;
  timeoutMs?: number;
}

/**
 * A request header that gives one call its own timeout in milliseconds, for
 * the calls that rightly outlast the client's (a graceful shutdown waits for
 * the guest); the client reads it and does not send it to the agent.
 */
export const AGENT_CALL_TIMEOUT_HEADER = 'x-tempest-call-timeout-ms';

/** The `headers` option that gives one call a timeout of `ms` (see AGENT_CALL_TIMEOUT_HEADER). */
export const agentCallTimeout = (ms: number) => ({
  [AGENT_CALL_TIMEOUT_HEADER]: String(Math.ceil(ms)),
});

export type AgentClient = Client<paths> & {
  /** Closes the keep-alive connections. */
  close(): void;
};

/**
 * A typed client for the provider agent's `/v1` API over mutual TLS (Node only:
 * it carries a client certificate). Types come from the agent's OpenAPI spec.
 */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  const agent = new https.Agent({
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    keepAlive: true,
    maxSockets: 64,
    servername: options.servername,
    ...(options.certificateFingerprint256
      ? {
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            cert.fingerprint256 === options.certificateFingerprint256
              ? undefined
              : new Error(
                  `The agent at ${options.baseUrl} presented certificate ${cert.fingerprint256} (CN=${cert.subject?.CN}), not the one issued to it (${options.certificateFingerprint256})`,
                ),
        }
      : {}),
  });

  const fetchOverTls = async (request: Request): Promise<Response> => {
    const body = request.body
      ? Buffer.from(await request.arrayBuffer())
      : undefined;
    const headers: Record<string, string> = {};
    let timeout = options.timeoutMs ?? 60_000;
    request.headers.forEach((value, name) => {
      if (name !== AGENT_CALL_TIMEOUT_HEADER) headers[name] = value;
      else if (Number(value) > 0) timeout = Number(value);
    });
    if (body) headers['content-length'] = String(body.length);
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(
        request.url,
        {
          method: request.method,
          headers,
          agent,
          timeout,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const status = res.statusCode ?? 500;
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined)
                responseHeaders.set(
                  name,
                  Array.isArray(value) ? value.join(', ') : value,
                );
            }
            const noBody = status === 204 || status === 304;
            resolve(
              new Response(noBody ? null : Buffer.concat(chunks), {
                status,
                headers: responseHeaders,
              }),
            );
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(
          new Error(`agent call timed out: ${request.method} ${request.url}`),
        ),
      );
      req.on('error', reject);
      req.end(body);
    });
  };

  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: fetchOverTls,
  });
  return Object.assign(client, { close: () => agent.destroy() });
}
