import fs from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import pino, { Logger } from 'pino';
import { createAgentApp } from '../api/createAgentApp';
import { AgentConfig } from '../config/AgentConfig';
import { consoleUpgradeHandler } from '../console/consoleUpgradeHandler';
import { AgentServices, createAgentServices } from '../createAgentServices';
import { HeartbeatSender } from '../heartbeat/HeartbeatSender';
import {
  MIGRATION_STREAM_PATH,
  migrationUpgradeHandler,
} from '../migration/migrationStreams';
import {
  RSYNC_PATH,
  rsyncUpgradeHandler,
} from '../migration/rsyncUpgradeHandler';
import { agentVersion } from '../version';
import { answerUnreadableRequest } from './answerUnreadableRequest';

export interface RunningAgent {
  url: string;
  port: number;
  server: https.Server;
  services: AgentServices;
  heartbeat?: HeartbeatSender;
  /** Stops accepting calls, cancels downloads (partial files removed), stops heartbeats. */
  stop(): Promise<void>;
}

export interface StartAgentOptions {
  logger?: Logger;
  drivers?: Parameters<typeof createAgentServices>[2];
}

/** Starts the HTTPS API with mutual TLS: callers need a certificate from the agent's CA. */
export async function startAgentServer(
  config: AgentConfig,
  options: StartAgentOptions = {},
): Promise<RunningAgent> {
  const logger =
    options.logger ??
    pino({ level: config.logLevel, base: { agent: config.name } });
  const [cert, key, ca] = await Promise.all([
    fs.readFile(config.tls.cert),
    fs.readFile(config.tls.key),
    fs.readFile(config.tls.ca),
  ]);
  const services = await createAgentServices(config, logger, options.drivers);
  const app = createAgentApp(services);
  const server = https.createServer(
    {
      cert,
      key,
      ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    app,
  );
  server.keepAliveTimeout = 30_000;
  const consoles = consoleUpgradeHandler(services.domains, logger);
  const transfers = rsyncUpgradeHandler(services.exports, logger);
  const streams = migrationUpgradeHandler(services.incoming, logger);
  // Upgrades: an export's rsync stream, a live migration's stream, or else a console (which refuses other paths).
  server.on('upgrade', (req, socket, head) => {
    if (RSYNC_PATH.test(req.url ?? '')) transfers(req, socket as Socket, head);
    else if (MIGRATION_STREAM_PATH.test(req.url ?? ''))
      void streams(req, socket as Socket, head);
    else consoles(req, socket as Socket, head);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) =>
    answerUnreadableRequest(err, socket, logger),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.listen.host.includes(':')
    ? `[${config.listen.host}]`
    : config.listen.host;
  const url = `https://${host}:${port}`;

  let heartbeat: HeartbeatSender | undefined;
  if (config.backend.heartbeatUrl) {
    heartbeat = new HeartbeatSender({
      url: config.backend.heartbeatUrl,
      intervalMs: config.backend.heartbeatIntervalSeconds * 1000,
      token: config.backend.token,
      // A wildcard listen address is no use to the backend: then only a
      // configured agentUrl is sent (the backend keeps the registered one).
      agentUrl:
        config.agentUrl ??
        (['0.0.0.0', '::', ''].includes(config.listen.host) ? undefined : url),
      logger,
      collect: async () => ({
        info: await services.info(),
        stats: await services.stats.current(),
      }),
    });
    heartbeat.start();
  }
  logger.info(
    {
      url,
      port,
      driver: services.hypervisor.driver,
      uri: services.hypervisor.uri,
      dataDir: config.dataDir,
      version: agentVersion,
    },
    'agent listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('agent stopping');
      const closed = new Promise<void>(resolve =>
        server.close(() => resolve()),
      );
      server.closeIdleConnections();
      consoles.closeAll();
      await Promise.all([services.close(), heartbeat?.stop()]);
      server.closeAllConnections();
      await closed;
      logger.info('agent stopped');
    })());
  return { url, port, server, services, heartbeat, stop };
}
