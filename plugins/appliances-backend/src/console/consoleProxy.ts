import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  NotFoundError,
  ServiceUnavailableError,
  serializeError,
} from '@backstage/errors';
import type { RequestHandler } from 'express';
import WebSocket, { WebSocketServer } from 'ws';
import { ConsoleSessions } from './ConsoleSessions';
import { InstanceConsole } from './InstanceConsole';

/** Above this many bytes queued for a slow viewer, reading from the agent pauses. */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

export interface ConsoleProxyOptions {
  console: InstanceConsole;
  sessions: ConsoleSessions;
  auditor: AuditorService;
  logger: LoggerService;
  /** The plugin's path on the backend, e.g. `/api/appliances`. */
  basePath: () => Promise<string>;
}

function refuse(socket: Duplex, error: Error) {
  const status =
    (error as { statusCode?: number }).statusCode ??
    ({
      AuthenticationError: 401,
      NotAllowedError: 403,
      NotFoundError: 404,
      ConflictError: 409,
      ServiceUnavailableError: 503,
    }[error.name] ||
      500);
  const body = JSON.stringify({
    error: serializeError(error),
    response: { statusCode: status },
  });
  socket.end(
    `HTTP/1.1 ${status} Console refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The console websocket, `<plugin>/console/sessions/{instanceId}?ticket=…`.
 * Backstage's router has no websocket routes, so (as the signals plugin
 * does) the handler joins the HTTP server's `upgrade` event, found on the
 * first request through the plugin's router; the ticket, not a Backstage
 * token, authenticates the upgrade. Each session pipes the viewer's
 * websocket to the agent's, binary message for message.
 */
export function createConsoleProxy(options: ConsoleProxyOptions) {
  const { sessions, auditor, logger } = options;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const attached = new WeakSet<Server>();

  async function handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ) {
    const url = new URL(req.url ?? '/', 'http://backend');
    const base = await options.basePath();
    const prefix = `${base}/console/sessions/`;
    if (!url.pathname.startsWith(prefix)) return; // another plugin's websocket
    socket.on('error', () => socket.destroy());
    const instanceId = decodeURIComponent(url.pathname.slice(prefix.length));
    const audit = await auditor.createEvent({
      eventId: 'instance-console-session',
      severityLevel: 'medium',
      meta: { instanceId },
    });
    let agent: WebSocket;
    let principalRef: string;
    try {
      try {
        ({ agent, principalRef } = await options.console.connect(
          instanceId,
          url.searchParams.get('ticket') ?? '',
        ));
      } catch (e) {
        // A bad ticket is a failed authentication, whatever instance it names.
        throw e instanceof NotFoundError && /ticket/.test((e as Error).message)
          ? new AuthenticationError((e as Error).message)
          : e;
      }
    } catch (e) {
      await audit.fail({ error: e as Error });
      refuse(socket, e as Error);
      return;
    }
    wss.handleUpgrade(req, socket, head, viewer => {
      void audit.success({ meta: { instanceId, actor: principalRef } });
      logger.info(`Console session opened on ${instanceId} by ${principalRef}`);
      const release = sessions.add(instanceId, {
        close: (code, reason) => {
          viewer.close(code, reason);
          agent.close();
        },
      });
      viewer.on('message', data => {
        if (agent.readyState === WebSocket.OPEN)
          agent.send(data as Buffer, { binary: true });
      });
      agent.on('message', data => {
        if (viewer.readyState !== WebSocket.OPEN) return;
        viewer.send(data as Buffer, { binary: true }, () => {
          if (agent.isPaused && viewer.bufferedAmount < HIGH_WATER_BYTES / 2)
            agent.resume();
        });
        if (viewer.bufferedAmount > HIGH_WATER_BYTES) agent.pause();
      });
      viewer.on('close', () => {
        release();
        agent.close();
      });
      agent.on('close', () => {
        release();
        if (viewer.readyState === WebSocket.OPEN)
          viewer.close(
            1000,
            "The instance's display closed: it stopped, or its host went away",
          );
      });
      viewer.on('error', () => viewer.terminate());
      agent.on('error', () => agent.terminate());
      agent.resume();
    });
  }

  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
    void handleUpgrade(req, socket, head).catch(e => {
      logger.error(`Console upgrade failed: ${e}`);
      socket.destroy();
    });

  /** Joins the server's upgrade event on the first request through the plugin. */
  const attach: RequestHandler = (req, res, next) => {
    const server = (req.socket as { server?: Server }).server;
    if (server && !attached.has(server)) {
      attached.add(server);
      server.on('upgrade', listener);
    }
    if (req.headers.upgrade?.toLowerCase() === 'websocket') {
      // Reached the router: nobody listened for upgrades yet. Now we do.
      const error = new ServiceUnavailableError(
        'The console proxy was starting; connect again',
      );
      res.status(503).json({
        error: serializeError(error),
        response: { statusCode: 503 },
      });
      return;
    }
    next();
  };

  return { attach, handleUpgrade };
}
