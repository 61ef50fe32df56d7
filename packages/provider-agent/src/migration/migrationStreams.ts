import fs from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import net, { Socket } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { clientCertificateProblem } from '../api/requireClientCertificate';
import { refuseUpgrade } from '../console/consoleUpgradeHandler';
import { AgentError, isAgentError } from '../errors/AgentError';
import {
  CHANNEL_SOCKETS,
  IncomingMigrations,
  MigrationChannel,
} from './IncomingMigrations';
import { openPeerStream, PeerSource, PeerTls } from './peerConnection';

/** The upgrade protocol of a live migration's streams. */
export const MIGRATION_UPGRADE = 'tempest-migration';
export const MIGRATION_STREAM_PATH =
  /^\/v1\/domains\/([^/?#]+)\/incoming\/([^/?#]+)\/streams\/([^/?#]+)$/;
const CHANNELS: MigrationChannel[] = ['hypervisor', 'memory', 'disks'];

/** Pipes two streams into each other; either end closing closes both. */
function join(a: Socket, b: Socket) {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

/**
 * The destination's end: `GET /v1/domains/{name}/incoming/{id}/streams/{channel}`
 * upgraded to `tempest-migration`, for the incoming migration's peer
 * certificate only, joined to this host's hypervisor RPC socket or to the
 * incoming domain's `mem.sock` / `nbd.sock`.
 */
export function migrationUpgradeHandler(
  incoming: IncomingMigrations,
  logger: Logger,
) {
  return async (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const match = MIGRATION_STREAM_PATH.exec(req.url ?? '');
    let name = '';
    let id = '';
    let channel = '';
    try {
      name = decodeURIComponent(match?.[1] ?? '');
      id = decodeURIComponent(match?.[2] ?? '');
      channel = decodeURIComponent(match?.[3] ?? '');
    } catch {
      name = '';
    }
    if (
      !match ||
      req.method !== 'GET' ||
      !name ||
      !CHANNELS.includes(channel as MigrationChannel)
    ) {
      refuseUpgrade(
        socket,
        new AgentError(
          'NOT_FOUND',
          `${req.method} ${req.url} cannot be upgraded`,
        ),
      );
      return;
    }
    if (req.headers.upgrade?.toLowerCase() !== MIGRATION_UPGRADE) {
      refuseUpgrade(
        socket,
        new AgentError(
          'INVALID_REQUEST',
          `A migration stream is opened with Upgrade: ${MIGRATION_UPGRADE}`,
        ),
      );
      return;
    }
    const log = logger.child({ incoming: id, domain: name, channel });
    try {
      const problem =
        clientCertificateProblem(socket) ??
        incoming.peerProblem(
          name,
          id,
          (socket as TLSSocket).getPeerCertificate(),
        );
      if (problem) throw problem;
      const target = await incoming.streamTarget(
        name,
        id,
        channel as MigrationChannel,
        socket,
      );
      const local = await new Promise<Socket>((resolve, reject) => {
        const s = net.connect(target);
        s.once('connect', () => resolve(s));
        s.once('error', e =>
          reject(
            new AgentError(
              'MIGRATION_FAILED',
              `Nothing takes the ${channel} stream here yet (${e.message})`,
            ),
          ),
        );
      });
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${MIGRATION_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
      );
      if (head.length) local.write(head);
      join(socket, local);
      log.debug('migration stream opened');
    } catch (e) {
      const error = isAgentError(e)
        ? e
        : new AgentError('INTERNAL', (e as Error).message);
      log.warn(
        { code: error.code, err: error.message },
        'migration stream refused',
      );
      refuseUpgrade(socket, error);
    }
  };
}

export interface SourceTunnels {
  /** The socket (as this agent sees it) reaching the destination hypervisor's RPC. */
  hypervisorSocket: string;
  /** Bytes carried both ways so far. */
  bytes(): number;
  close(): void;
}

/**
 * The source's end: unix sockets in `dir` (`hv.sock`, `mem.sock`,
 * `nbd.sock`); each connection to one is carried to the destination agent
 * over a TLS connection with this agent's certificate (the destination's
 * checked exactly) and upgraded to the matching stream.
 */
export async function openSourceTunnels(options: {
  dir: string;
  tls: PeerTls;
  destination: PeerSource;
  /** `/v1/domains/{name}/incoming/{id}` on the destination. */
  incomingPath: string;
  signal: AbortSignal;
  logger: Logger;
}): Promise<SourceTunnels> {
  const { dir, logger } = options;
  await fs.mkdir(dir, { recursive: true, mode: 0o711 });
  const servers: net.Server[] = [];
  const open = new Set<Socket>();
  const carried = { bytes: 0 };
  const files: Record<MigrationChannel, string> = {
    hypervisor: path.join(dir, 'hv.sock'),
    memory: path.join(dir, CHANNEL_SOCKETS.memory),
    disks: path.join(dir, CHANNEL_SOCKETS.disks),
  };
  for (const channel of CHANNELS) {
    const server = net.createServer({ pauseOnConnect: true }, conn => {
      open.add(conn);
      conn.on('error', () => undefined);
      conn.once('close', () => open.delete(conn));
      openPeerStream(
        options.tls,
        options.destination,
        `${options.incomingPath}/streams/${channel}`,
        options.signal,
        MIGRATION_UPGRADE,
      ).then(
        remote => {
          open.add(remote);
          remote.once('close', () => open.delete(remote));
          remote.on('data', (c: Buffer) => (carried.bytes += c.length));
          conn.on('data', (c: Buffer) => (carried.bytes += c.length));
          join(conn, remote);
          conn.resume();
          if (conn.destroyed) remote.destroy();
        },
        e => {
          logger.warn(
            { channel, err: (e as Error).message },
            'could not open a migration stream to the destination',
          );
          conn.destroy();
        },
      );
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(files[channel], () => resolve());
    });
    // The hypervisor (qemu, another user in production) connects to it.
    await fs.chmod(files[channel], 0o666);
  }
  return {
    hypervisorSocket: files.hypervisor,
    bytes: () => carried.bytes,
    close: () => {
      for (const server of servers) server.close();
      for (const socket of open) socket.destroy();
    },
  };
}
