import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { DiskRecord, InstanceDisks } from '../disks/InstanceDisks';
import { AgentError, fromFsError, isAgentError } from '../errors/AgentError';
import { ImageStore } from '../images/ImageStore';
import { unlessMissing } from '../storage/unlessMissing';
import { readJson } from '../storage/writeJsonAtomic';
import { resolveInside } from '../validation/dataPath';
import { validateName, validateVersion } from '../validation/names';
import { ExportView, RSYNC_MODULE } from './DiskExports';
import { ImportJob, ImportRequest, ImportView } from './ImportJob';
import { getFromPeer, openRsyncStream, PeerTls } from './peerConnection';

const KEEP_FINISHED = 50;
const EXPORT_FILE =
  /^(disk\.qcow2|deployment\.qcow2|seed\.iso|disk\.json|volume-[a-z0-9][a-z0-9-]{0,62}\.qcow2)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * rsync runs this as its remote shell: it joins rsync's pipes to the agent's
 * private socket, where the agent bridges them to the source agent's TLS stream.
 */
const BRIDGE = `'use strict';
const net = require('node:net');
const s = net.connect(process.argv[2]);
process.stdin.pipe(s);
s.pipe(process.stdout);
s.on('error', e => { process.stderr.write('tempest rsync bridge: ' + e.message + '\\n'); process.exit(1); });
`;

export interface DiskImportsOptions {
  dataDir: string;
  tls: { ca: string; cert: string; key: string };
  disks: InstanceDisks;
  images: () => ImageStore;
  logger: Logger;
  rsync?: string;
  /** Whether this agent's certificate has clientAuth, without which no source agent lets it in. */
  canCallPeers: boolean;
  /** rsync's --bwlimit (KiB/s); unlimited when unset. */
  bandwidthLimitKiBps?: number;
}

/**
 * Disks pulled from another agent (migration): the manifest over mutual TLS,
 * the files with an rsync client whose remote shell reaches the source's
 * `tempest-rsync` stream, a staging folder moved into place only when
 * complete. A failed or cancelled import leaves nothing behind.
 */
export class DiskImports {
  private readonly root: string;
  private readonly jobs = new Map<string, ImportJob>();

  constructor(private readonly options: DiskImportsOptions) {
    this.root = resolveInside(options.dataDir, 'imports');
  }

  async init(): Promise<void> {
    // An import the agent stopped during is not resumed; its files go.
    await fs.rm(this.root, { recursive: true, force: true });
  }

  async start(request: ImportRequest): Promise<ImportView> {
    const disk = validateName(request?.disk, 'disk name');
    if (!this.options.canCallPeers)
      throw new AgentError(
        'NOT_SUPPORTED',
        "This agent's certificate (tls.cert) is not valid for TLS clients (no clientAuth), so no source agent would let it in; renew it (enrol again) to import disks",
      );
    const source = request.source;
    let url: URL;
    try {
      url = new URL(source?.agentUrl);
    } catch {
      throw new AgentError('INVALID_REQUEST', 'source.agentUrl is not a URL');
    }
    if (url.protocol !== 'https:' || !UUID.test(source.exportId ?? ''))
      throw new AgentError(
        'INVALID_REQUEST',
        'source needs an https agentUrl and the exportId the source agent gave',
      );
    const release = await this.options.disks.reserve(disk);
    const job = new ImportJob(disk, {
      agentUrl: source.agentUrl,
      hostId: source.hostId,
    });
    this.jobs.set(job.id, job);
    this.prune();
    job.done = this.run(job, disk, source).finally(release);
    return job.view();
  }

  list(): ImportView[] {
    return [...this.jobs.values()].map(j => j.view());
  }

  get(id: string): ImportView {
    return this.require(id).view();
  }

  async cancel(id: string): Promise<ImportView> {
    const job = this.require(id);
    if (job.active) {
      job.controller.abort();
      await job.done;
    }
    return job.view();
  }

  async close(): Promise<void> {
    for (const job of this.jobs.values()) job.controller.abort();
    await Promise.all([...this.jobs.values()].map(j => j.done));
  }

  private require(id: string): ImportJob {
    const job = this.jobs.get(id);
    if (!job) throw new AgentError('NOT_FOUND', `No import ${id}`);
    return job;
  }

  private prune() {
    const finished = [...this.jobs.values()].filter(j => !j.active);
    for (const job of finished.slice(
      0,
      Math.max(0, finished.length - KEEP_FINISHED),
    ))
      this.jobs.delete(job.id);
  }

  /** Never throws: the outcome lands on the job. */
  private async run(
    job: ImportJob,
    disk: string,
    source: ImportRequest['source'],
  ): Promise<void> {
    const { logger } = this.options;
    const log = logger.child({ import: job.id, disk, source: source.hostId });
    const signal = job.controller.signal;
    const workDir = resolveInside(this.root, job.id);
    const staging = path.join(workDir, 'staging');
    let socketDir: string | undefined;
    const cleanups: Array<() => void> = [];
    log.info({ url: source.agentUrl }, 'import started');
    try {
      const tls = await this.readTls();
      const exportPath = `/v1/disks/${disk}/exports/${source.exportId}`;
      const manifest = await getFromPeer<ExportView>(
        tls,
        source,
        exportPath,
        signal,
      );
      if (manifest?.disk !== disk || !Array.isArray(manifest.files))
        throw new AgentError(
          'TRANSFER_FAILED',
          `Export ${source.exportId} at ${source.agentUrl} is not of disk ${disk}`,
        );
      const names = manifest.files.map(f => String(f.path));
      // A live export offers no writable layer: the live migration fills them.
      const live = manifest.live === true;
      const required = live
        ? ['deployment.qcow2', 'disk.json']
        : ['disk.qcow2', 'deployment.qcow2', 'disk.json'];
      if (
        !names.every(n => EXPORT_FILE.test(n)) ||
        !required.every(n => names.includes(n)) ||
        (live && names.some(n => n === 'disk.qcow2' || n.startsWith('volume-')))
      )
        throw new AgentError(
          'TRANSFER_FAILED',
          `Export ${source.exportId} lists files this agent does not take: ${names.join(', ')}`,
        );
      const applianceLayer = await this.applianceLayer(manifest);
      job.bytesTotal = manifest.totalBytes;
      await fs.mkdir(staging, { recursive: true, mode: 0o700 });

      const stream = await openRsyncStream(
        tls,
        source,
        `${exportPath}/rsync`,
        signal,
      );
      cleanups.push(() => stream.destroy());
      stream.on('error', () => undefined);
      stream.pause();

      // A private folder (0700) holds the socket rsync's remote shell connects to.
      socketDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-rsync-'));
      const socketPath = path.join(socketDir, 's');
      const bridge = path.join(socketDir, 'bridge.cjs');
      await fs.writeFile(bridge, BRIDGE, { mode: 0o600 });
      for (const part of [process.execPath, bridge, socketPath])
        if (/\s/.test(part))
          throw new AgentError(
            'INVALID_PATH',
            `${part} has white space, which rsync's --rsh cannot carry`,
          );
      const server = net.createServer({ pauseOnConnect: true }, conn => {
        server.close();
        conn.on('error', () => stream.destroy());
        conn.pipe(stream);
        stream.pipe(conn);
        conn.resume();
        stream.resume();
      });
      cleanups.push(() => server.close());
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => resolve());
      });

      const child = spawn(
        this.options.rsync ?? 'rsync',
        [
          '--recursive',
          '--times',
          '--sparse',
          // A source that sends nothing for a minute ends the transfer (and its heartbeat).
          '--timeout=60',
          ...(this.options.bandwidthLimitKiBps
            ? [`--bwlimit=${this.options.bandwidthLimitKiBps}`]
            : []),
          '--rsh',
          `${process.execPath} ${bridge} ${socketPath}`,
          `tempest::${RSYNC_MODULE}/`,
          `${staging}/`,
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, LC_ALL: 'C' },
        },
      );
      cleanups.push(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      const onAbort = () => child.kill('SIGTERM');
      signal.addEventListener('abort', onAbort);
      if (signal.aborted) onAbort();
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString()).slice(-2000);
      });
      // The heartbeat moves from rsync's start until the disk is in place; then it stops.
      let polling = false;
      const beat = setInterval(() => {
        job.heartbeatAt = new Date();
        if (polling || child.exitCode !== null) return;
        polling = true;
        stagedBytes(staging)
          .then(bytes => job.setBytes(bytes))
          .catch(e =>
            log.warn(
              { err: (e as Error).message },
              'could not measure the staging folder',
            ),
          )
          .finally(() => {
            polling = false;
          });
      }, 250);
      cleanups.push(() => clearInterval(beat));
      const exit = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', code => resolve(code));
      }).catch(e => {
        throw new AgentError(
          'TRANSFER_FAILED',
          `rsync could not run: ${(e as Error).message}`,
        );
      });
      if (signal.aborted)
        throw new AgentError('TRANSFER_CANCELLED', 'The import was cancelled');
      if (exit !== 0)
        throw new AgentError(
          'TRANSFER_FAILED',
          `rsync failed (exit ${exit}): ${stderr.trim() || 'no message'}`,
        );
      job.setBytes(await stagedBytes(staging));

      for (const file of manifest.files) {
        const stat = await unlessMissing(
          fs.stat(resolveInside(staging, file.path)),
          undefined,
        );
        if (!stat || stat.size !== file.bytes)
          throw new AgentError(
            'TRANSFER_FAILED',
            `${file.path} arrived with ${stat?.size ?? 'no'} bytes, expected ${file.bytes}`,
          );
      }
      const record = await readJson<
        DiskRecord & { instanceVirtualSizeBytes?: number }
      >(path.join(staging, 'disk.json'));
      if (
        !record ||
        record.appliance?.name !== manifest.appliance.name ||
        record.appliance?.version !== manifest.appliance.version
      )
        throw new AgentError(
          'TRANSFER_FAILED',
          "The export's disk.json does not match its manifest",
        );
      if (signal.aborted)
        throw new AgentError('TRANSFER_CANCELLED', 'The import was cancelled');
      await this.options.disks.placeImported(
        disk,
        staging,
        record,
        applianceLayer,
        live
          ? {
              instanceVirtualSizeBytes: Number(record.instanceVirtualSizeBytes),
            }
          : undefined,
      );
      job.finish('done');
      log.info({ bytes: job.bytesDone }, 'disk imported');
    } catch (e) {
      const error = isAgentError(e) ? e : fromFsError(e, 'the imported disk');
      const cancelled = signal.aborted || error.code === 'TRANSFER_CANCELLED';
      job.finish(cancelled ? 'cancelled' : 'failed', {
        code: cancelled ? 'TRANSFER_CANCELLED' : error.code,
        message: cancelled ? 'The import was cancelled' : error.message,
      });
      log.warn(
        { code: error.code, err: error.message },
        'import did not finish',
      );
    } finally {
      for (const cleanup of cleanups.reverse()) cleanup();
      if (socketDir) await fs.rm(socketDir, { recursive: true, force: true });
      await fs
        .rm(workDir, { recursive: true, force: true })
        .catch(e =>
          log.warn(
            { err: (e as Error).message },
            'could not remove the staging folder',
          ),
        );
    }
  }

  /** This host's layer for the appliance version the disk sits on; UNKNOWN_IMAGE naming what is missing. */
  private async applianceLayer(manifest: ExportView): Promise<string> {
    const { name, version } = manifest.appliance ?? {};
    const layer = await this.options
      .images()
      .layerPath(
        'appliance',
        validateName(name, 'appliance name'),
        validateVersion(version),
      );
    const localOs = await this.options.images().applianceOs(name, version);
    if (
      layer &&
      manifest.os &&
      localOs &&
      (localOs.name !== manifest.os.name ||
        localOs.version !== manifest.os.version)
    )
      throw new AgentError(
        'UNKNOWN_IMAGE',
        `Disk ${manifest.disk} sits on appliance ${name} ${version} over OS ${manifest.os.name} ${manifest.os.version}; here that appliance sits on OS ${localOs.name} ${localOs.version}`,
      );
    if (layer) return layer;
    const onOs = manifest.os
      ? ` on OS ${manifest.os.name} ${manifest.os.version}`
      : '';
    throw new AgentError(
      'UNKNOWN_IMAGE',
      `Disk ${manifest.disk} sits on appliance ${name} ${version}${onOs}, which is not installed on this host; install it here before importing`,
    );
  }

  private async readTls(): Promise<PeerTls> {
    const { tls } = this.options;
    const [ca, cert, key] = await Promise.all([
      fs.readFile(tls.ca),
      fs.readFile(tls.cert),
      fs.readFile(tls.key),
    ]);
    return { ca, cert, key };
  }
}

/** The bytes written into the staging folder so far (rsync's temporary files included). */
async function stagedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await unlessMissing(fs.readdir(dir), [] as string[])) {
    // rsync renames its temporary files as it goes: one gone meanwhile is skipped.
    const stat = await unlessMissing(fs.stat(path.join(dir, name)), undefined);
    if (stat?.isFile()) total += stat.size;
  }
  return total;
}
