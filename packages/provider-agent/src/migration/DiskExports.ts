import type { AgentApiSchemas } from '../api/apiTypes';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { DiskRecord, InstanceDisks } from '../disks/InstanceDisks';
import { AgentError, isAgentError } from '../errors/AgentError';
import { ImageStore } from '../images/ImageStore';
import { writeJsonAtomic } from '../storage/writeJsonAtomic';
import { resolveInside } from '../validation/dataPath';
import { validateName } from '../validation/names';
import { checkPeerGrant, peerMismatch } from './peerIdentity';

export type ExportView = AgentApiSchemas['Export'];
export type ExportRequest = AgentApiSchemas['ExportRequest'];

/** The one rsync module an export's daemon serves. */
export const RSYNC_MODULE = 'export';

interface ExportEntry {
  view: ExportView;
  dir: string;
  timer: NodeJS.Timeout;
  transfers: Set<ChildProcess>;
}

/**
 * Stopped disks offered to one peer agent for migration. Each export is a
 * folder `exports/<id>/files` of hard links to the disk's own files (instance
 * layer, volumes, seed, deployment layer; never the OS or appliance image
 * layers) plus its record as disk.json, and an rsyncd.conf beside it whose one
 * read-only module is that folder. Exports live in memory and expire; none
 * outlives the agent (its folder is emptied on start).
 */
export class DiskExports {
  private readonly root: string;
  private readonly exports = new Map<string, ExportEntry>();

  constructor(
    dataDir: string,
    private readonly disks: InstanceDisks,
    private readonly images: () => ImageStore,
    /** The domain on the disk that is running or paused, if any. */
    private readonly activeDomainOn: (
      disk: string,
    ) => Promise<string | undefined>,
    private readonly logger: Logger,
  ) {
    this.root = resolveInside(dataDir, 'exports');
  }

  async init(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true });
  }

  async create(diskName: string, request: ExportRequest): Promise<ExportView> {
    validateName(diskName, 'disk name');
    const ttlSeconds = checkPeerGrant(request, 'the destination agent');
    const peer = request.peer;
    let record: DiskRecord;
    try {
      record = await this.disks.require(diskName);
    } catch (e) {
      if (isAgentError(e, 'UNKNOWN_DISK'))
        throw new AgentError('NOT_FOUND', `No disk named ${diskName}`);
      throw e;
    }
    const live = request.live === true;
    const domain = live ? undefined : await this.activeDomainOn(diskName);
    if (domain)
      throw new AgentError(
        'DOMAIN_RUNNING',
        `Disk ${diskName} belongs to domain ${domain}, which is running or paused; stop it first, then export the disk (or export it live to move the running domain)`,
      );
    const id = randomUUID();
    const dir = resolveInside(this.root, id);
    const filesDir = path.join(dir, 'files');
    try {
      if (/[\r\n]/.test(dir))
        throw new AgentError(
          'INVALID_PATH',
          'The data directory path cannot go into an rsync configuration',
        );
      await fs.mkdir(filesDir, { recursive: true, mode: 0o700 });
      // A live export leaves out the layers the running guest writes: the live migration copies them.
      const sources: Array<[string, string]> = live
        ? [['deployment.qcow2', record.chain[1]]]
        : [
            ['disk.qcow2', record.path],
            ['deployment.qcow2', record.chain[1]],
          ];
      if (record.seedPath) sources.push(['seed.iso', record.seedPath]);
      if (!live)
        for (const volume of record.volumes ?? [])
          sources.push([`volume-${volume.name}.qcow2`, volume.path]);
      for (const [name, source] of sources)
        await fs.link(source, path.join(filesDir, name)).catch(async e => {
          if (e.code !== 'EXDEV') throw e;
          await fs.copyFile(source, path.join(filesDir, name));
        });
      // The destination makes the instance layer empty with the same virtual size.
      await writeJsonAtomic(
        path.join(filesDir, 'disk.json'),
        live
          ? {
              ...record,
              instanceVirtualSizeBytes: await this.disks.virtualSize(record),
            }
          : record,
      );
      await fs.writeFile(path.join(dir, 'rsyncd.conf'), rsyncdConf(dir), {
        mode: 0o600,
      });
      const files: ExportView['files'] = [];
      for (const name of [...sources.map(([n]) => n), 'disk.json'])
        files.push({
          path: name,
          bytes: (await fs.stat(path.join(filesDir, name))).size,
        });
      const os = await this.images().applianceOs(
        record.appliance.name,
        record.appliance.version,
      );
      const createdAt = new Date();
      const view: ExportView = {
        id,
        disk: diskName,
        peer: {
          hostId: peer.hostId,
          certificateFingerprint256: peer.certificateFingerprint256,
        },
        files,
        totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
        appliance: record.appliance,
        ...(os ? { os } : {}),
        deployment: record.deployment,
        ...(live ? { live } : {}),
        createdAt: createdAt.toISOString(),
        expiresAt: new Date(
          createdAt.getTime() + ttlSeconds * 1000,
        ).toISOString(),
      };
      const timer = setTimeout(() => {
        this.remove(diskName, id).catch(e =>
          this.logger.warn(
            { err: (e as Error).message, export: id },
            'could not remove an expired export',
          ),
        );
      }, ttlSeconds * 1000);
      timer.unref();
      this.exports.set(id, { view, dir, timer, transfers: new Set() });
      this.logger.info(
        {
          export: id,
          disk: diskName,
          peer: peer.hostId,
          bytes: view.totalBytes,
        },
        live ? 'disk exported for a live migration' : 'disk exported',
      );
      return view;
    } catch (e) {
      await fs.rm(dir, { recursive: true, force: true });
      throw e;
    }
  }

  get(diskName: string, id: string): ExportView {
    return this.require(diskName, id).view;
  }

  /** Withdraws an export (idempotent): a transfer under way is cut and its folder goes. */
  async remove(diskName: string, id: string): Promise<void> {
    validateName(diskName, 'disk name');
    const entry = this.exports.get(id);
    if (!entry || entry.view.disk !== diskName) return;
    this.exports.delete(id);
    clearTimeout(entry.timer);
    for (const child of entry.transfers) child.kill('SIGTERM');
    await fs.rm(entry.dir, { recursive: true, force: true });
  }

  /** Why a caller with this certificate may not read or transfer the export, or undefined. */
  peerProblem(
    diskName: string,
    id: string,
    cert: PeerCertificate,
  ): AgentError | undefined {
    let entry: ExportEntry;
    try {
      entry = this.require(diskName, id);
    } catch (e) {
      return e as AgentError;
    }
    const mismatch = peerMismatch(cert, entry.view.peer);
    return mismatch
      ? new AgentError(
          'CLIENT_CERT_REQUIRED',
          `Export ${id} of disk ${diskName} is for host ${entry.view.peer.hostId} only: ${mismatch}`,
        )
      : undefined;
  }

  /** Where an export's rsync daemon runs and its configuration; tracks the transfer's process. */
  transfer(diskName: string, id: string) {
    const entry = this.require(diskName, id);
    return {
      dir: entry.dir,
      config: path.join(entry.dir, 'rsyncd.conf'),
      track: (child: ChildProcess) => {
        entry.transfers.add(child);
        child.once('exit', () => entry.transfers.delete(child));
      },
    };
  }

  async close(): Promise<void> {
    for (const entry of [...this.exports.values()])
      await this.remove(entry.view.disk, entry.view.id);
  }

  private require(diskName: string, id: string): ExportEntry {
    const entry = this.exports.get(id);
    if (
      !entry ||
      entry.view.disk !== diskName ||
      Date.parse(entry.view.expiresAt) <= Date.now()
    )
      throw new AgentError(
        'NOT_FOUND',
        `No export ${id} of disk ${diskName} here (it expired, was withdrawn, or never existed)`,
      );
    return entry;
  }
}

/** One read-only module over the export's files; no chroot, no listing, numeric ids. */
function rsyncdConf(dir: string): string {
  const lines = [
    'use chroot = no',
    'numeric ids = yes',
    'timeout = 120',
    `log file = ${path.join(dir, 'rsyncd.log')}`,
  ];
  // As root the daemon would otherwise drop to nobody, who may not read the layers.
  if (process.getuid?.() === 0) lines.push('uid = 0', 'gid = 0');
  lines.push(
    `[${RSYNC_MODULE}]`,
    `path = ${path.join(dir, 'files')}`,
    'read only = yes',
    'list = no',
  );
  return `${lines.join('\n')}\n`;
}
