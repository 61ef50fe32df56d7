import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { clientCertificateProblem } from '../api/requireClientCertificate';
import { refuseUpgrade } from '../console/consoleUpgradeHandler';
import { AgentError } from '../errors/AgentError';
import { DiskExports } from './DiskExports';

/** The upgrade protocol name of an export's transfer. */
export const RSYNC_UPGRADE = 'tempest-rsync';
export const RSYNC_PATH = /^\/v1\/disks\/([^/?#]+)\/exports\/([^/?#]+)\/rsync$/;

/**
 * `GET /v1/disks/{name}/exports/{id}/rsync` upgraded to `tempest-rsync`: the
 * caller must present the certificate the export names (fingerprint and
 * host id); then the agent runs `rsync --server --daemon` with the export's
 * own configuration (one read-only module, its files) on the connection.
 * Nothing from the request reaches rsync's arguments but the export it names.
 */
export function rsyncUpgradeHandler(
  exports: DiskExports,
  logger: Logger,
  rsync = 'rsync',
) {
  return (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const match = RSYNC_PATH.exec(req.url ?? '');
    let disk: string;
    let id: string;
    try {
      disk = decodeURIComponent(match?.[1] ?? '');
      id = decodeURIComponent(match?.[2] ?? '');
    } catch {
      disk = id = '';
    }
    if (!match || req.method !== 'GET' || !disk || !id) {
      refuseUpgrade(
        socket,
        new AgentError(
          'NOT_FOUND',
          `${req.method} ${req.url} cannot be upgraded`,
        ),
      );
      return;
    }
    if (req.headers.upgrade?.toLowerCase() !== RSYNC_UPGRADE) {
      refuseUpgrade(
        socket,
        new AgentError(
          'INVALID_REQUEST',
          `An export is transferred with Upgrade: ${RSYNC_UPGRADE}`,
        ),
      );
      return;
    }
    const problem =
      clientCertificateProblem(socket) ??
      exports.peerProblem(disk, id, (socket as TLSSocket).getPeerCertificate());
    if (problem) {
      logger.warn(
        { disk, export: id, code: problem.code, err: problem.message },
        'export transfer refused',
      );
      refuseUpgrade(socket, problem);
      return;
    }
    const transfer = exports.transfer(disk, id);
    const child = spawn(
      rsync,
      ['--server', '--daemon', `--config=${transfer.config}`, '.'],
      {
        cwd: transfer.dir,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
    transfer.track(child);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    child.on('error', e => {
      logger.warn({ err: e.message, export: id }, 'rsync could not start');
      socket.destroy();
    });
    child.on('exit', (code, signal) => {
      logger.info(
        { export: id, disk, code, signal, stderr: stderr.trim() || undefined },
        'export transfer ended',
      );
      socket.end();
    });
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${RSYNC_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
    );
    logger.info({ export: id, disk }, 'export transfer started');
    if (head.length) child.stdin.write(head);
    socket.pipe(child.stdin);
    child.stdout.pipe(socket);
    child.stdin.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
  };
}
