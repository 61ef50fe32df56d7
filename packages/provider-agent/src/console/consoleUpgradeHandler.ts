import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { clientCertificateProblem } from '../api/requireClientCertificate';
import type { DomainService } from '../domains/DomainService';
import { AgentError } from '../errors/AgentError';
import { hostIdsOf } from '../migration/peerIdentity';

/** The one caller a console is opened for: the backend's client certificate. */
export const CONSOLE_CALLER = 'tempest-backend';

const VNC_PATH = /^\/v1\/domains\/([^/?#]+)\/vnc(?:\?.*)?$/;

/** The backend's certificate: CN tempest-backend and no host identity (a peer agent's names its host). */
function callerProblem(socket: Socket): AgentError | undefined {
  const cert = (socket as TLSSocket).getPeerCertificate();
  const hosts = hostIdsOf(cert);
  if (hosts.length)
    return new AgentError(
      'CLIENT_CERT_REQUIRED',
      `Consoles are opened for the backend's certificate only, not for the agent certificate of host ${hosts.join(', ')}`,
    );
  if (cert.subject?.CN !== CONSOLE_CALLER)
    return new AgentError(
      'CLIENT_CERT_REQUIRED',
      `Consoles are opened for the backend's certificate (${CONSOLE_CALLER}) only`,
    );
  return undefined;
}

/** Answers an upgrade request with an error and closes the connection. */
export function refuseUpgrade(socket: Duplex, error: AgentError) {
  const body = JSON.stringify(error.toJSON());
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The agent's console endpoint, `GET /v1/domains/{name}/vnc` upgraded to a
 * websocket whose binary messages are the raw bytes of the domain's VNC
 * display (websockify's framing). It lives on the HTTPS server's `upgrade`
 * event, so mutual TLS has already checked the peer's chain; this also
 * requires the backend's own client certificate.
 */
export function consoleUpgradeHandler(
  domains: Pick<DomainService, 'openVnc'>,
  logger: Logger,
) {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const open = new Set<Duplex>();
  const handle = async (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const match = VNC_PATH.exec(req.url ?? '');
    if (!match || req.method !== 'GET') {
      refuseUpgrade(
        socket,
        new AgentError(
          'NOT_FOUND',
          `${req.method} ${req.url} cannot be upgraded: only /v1/domains/{name}/vnc is a websocket`,
        ),
      );
      return;
    }
    const problem = clientCertificateProblem(socket) ?? callerProblem(socket);
    if (problem) {
      refuseUpgrade(socket, problem);
      return;
    }
    const name = decodeURIComponent(match[1]);
    let display: Duplex;
    try {
      display = await domains.openVnc(name);
    } catch (e) {
      refuseUpgrade(
        socket,
        e instanceof AgentError
          ? e
          : new AgentError(
              'INTERNAL',
              'The agent could not open the display; see its log',
            ),
      );
      if (!(e instanceof AgentError))
        logger.error({ err: e, domain: name }, 'console failed');
      return;
    }
    wss.handleUpgrade(req, socket, head, ws => {
      logger.info({ domain: name }, 'console opened');
      const viewer = createWebSocketStream(ws);
      const close = () => {
        viewer.destroy();
        display.destroy();
      };
      viewer.on('error', close);
      display.on('error', close);
      viewer.on('close', close);
      display.on('close', close);
      viewer.pipe(display);
      display.pipe(viewer);
      open.add(viewer);
      ws.once('close', () => {
        open.delete(viewer);
        logger.info({ domain: name }, 'console closed');
      });
    });
  };
  /** Ends every open console (the agent is stopping: upgraded sockets keep no server open). */
  const closeAll = () => {
    for (const viewer of open) viewer.destroy();
    open.clear();
  };
  return Object.assign(handle, { closeAll });
}
