import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { MAX_SOCKET_PATH } from './defaultSocketDir';
import { DomainService } from '../domains/DomainService';
import { AgentError, isAgentError } from '../errors/AgentError';
import { Hypervisor, ResolvedDomainSpec } from '../hypervisor/Hypervisor';
import { validateName } from '../validation/names';
import type { IncomingView } from './IncomingMigrations';
import {
  LiveMigrationJob,
  LiveMigrationRequest,
  LiveMigrationView,
} from './LiveMigrationJob';
import { openSourceTunnels } from './migrationStreams';
import { getFromPeer, PeerSource, PeerTls } from './peerConnection';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;
const HOST_ID = /^[A-Za-z0-9:._-]{1,64}$/;
const ABSOLUTE = /^\/[^\0\r\n]*$/;
const KEEP_FINISHED = 50;
/** A unix socket's path must fit in sun_path (108 bytes, with its NUL). */

export interface LiveMigrationsOptions {
  hypervisor: Hypervisor;
  domains: DomainService;
  readTls(): Promise<PeerTls>;
  canCallPeers: boolean;
  /** Where migrations' socket folders are, as this agent sees it. */
  socketDir: string;
  /** The same folder as the hypervisor sees it. */
  hypervisorSocketDir: string;
  bandwidthLimitKiBps?: number;
  logger: Logger;
}

/** The destination's resolved domain, checked before it reaches the hypervisor. */
function targetSpec(
  name: string,
  incoming: IncomingView,
  own: ResolvedDomainSpec,
): ResolvedDomainSpec {
  const t = incoming.target;
  const paths = [
    ...(t?.disks ?? []).map(d => d.path),
    ...(t?.consoleLogPath ? [t.consoleLogPath] : []),
    ...(t?.kernel ? [t.kernel.path, t.kernel.initrdPath ?? '/'] : []),
  ];
  if (
    !t ||
    t.vcpus !== own.vcpus ||
    t.memoryMiB !== own.memoryMiB ||
    !Array.isArray(t.disks) ||
    t.disks.length !== own.disks.length ||
    t.disks.some((d, i) => d.target !== own.disks[i].target) ||
    !paths.every(p => typeof p === 'string' && ABSOLUTE.test(p))
  )
    throw new AgentError(
      'MIGRATION_FAILED',
      `The destination resolved domain ${name} differently (CPUs, memory or disks); it cannot take this guest`,
    );
  return { ...t, name } as ResolvedDomainSpec;
}

/**
 * The source's half of live migrations: a running domain moved to the
 * destination agent's hypervisor through sockets whose connections this
 * agent carries over mutual TLS; once it runs there it is forgotten here.
 */
export class LiveMigrations {
  private readonly jobs = new Map<string, LiveMigrationJob>();

  constructor(private readonly options: LiveMigrationsOptions) {}

  async start(
    name: string,
    request: LiveMigrationRequest,
  ): Promise<LiveMigrationView> {
    validateName(name, 'domain name');
    const destination = request?.destination;
    let url: URL | undefined;
    try {
      url = new URL(destination?.agentUrl);
    } catch {
      url = undefined;
    }
    if (
      url?.protocol !== 'https:' ||
      !HOST_ID.test(destination.hostId ?? '') ||
      !FINGERPRINT.test(destination.certificateFingerprint256 ?? '') ||
      !UUID.test(destination.incomingId ?? '')
    )
      throw new AgentError(
        'INVALID_REQUEST',
        'destination needs an https agentUrl, its hostId, its certificateFingerprint256 and the incomingId it gave',
      );
    if (!this.options.canCallPeers)
      throw new AgentError(
        'NOT_SUPPORTED',
        "This agent's certificate (tls.cert) is not valid for TLS clients (no clientAuth), so no destination agent would let it in; renew it (enrol again) to migrate domains",
      );
    const { state } = await this.options.domains.state(name);
    if (state !== 'running' && state !== 'blocked')
      throw new AgentError(
        'DOMAIN_NOT_RUNNING',
        `Domain ${name} is ${state}: only a running domain moves live (a stopped one moves with its disk)`,
      );
    const busy = [...this.jobs.values()].find(
      j => j.domain === name && j.active,
    );
    if (busy)
      throw new AgentError(
        'DOMAIN_STATE_CONFLICT',
        `Domain ${name} is already migrating (${busy.id})`,
      );
    const dir = path.join(this.options.socketDir, destination.incomingId);
    if (path.join(dir, 'hv.sock').length > MAX_SOCKET_PATH)
      throw new AgentError(
        'INVALID_PATH',
        `The migration socket folder ${dir} is too long for unix sockets; set migration.socketDir to a shorter path`,
      );
    const job = new LiveMigrationJob(name, {
      agentUrl: destination.agentUrl,
      hostId: destination.hostId,
    });
    this.jobs.set(job.id, job);
    this.prune();
    job.done = this.run(job, destination, dir);
    return job.view();
  }

  get(name: string, id: string): LiveMigrationView {
    return this.require(name, id).view();
  }

  async cancel(name: string, id: string): Promise<LiveMigrationView> {
    const job = this.require(name, id);
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

  /** Never throws: the outcome lands on the job. */
  private async run(
    job: LiveMigrationJob,
    destination: LiveMigrationRequest['destination'],
    dir: string,
  ): Promise<void> {
    const { hypervisor, domains, logger } = this.options;
    const name = job.domain;
    const log = logger.child({
      migration: job.id,
      domain: name,
      destination: destination.hostId,
    });
    const signal = job.controller.signal;
    const peer: PeerSource = {
      agentUrl: destination.agentUrl,
      hostId: destination.hostId,
      certificateFingerprint256: destination.certificateFingerprint256,
      role: 'destination',
    };
    const incomingPath = `/v1/domains/${name}/incoming/${destination.incomingId}`;
    let close: (() => void) | undefined;
    log.info({ url: destination.agentUrl }, 'live migration started');
    try {
      const tls = await this.options.readTls();
      const incoming = await getFromPeer<IncomingView>(
        tls,
        peer,
        incomingPath,
        signal,
      );
      if (incoming?.domain !== name || incoming.state !== 'waiting')
        throw new AgentError(
          'MIGRATION_FAILED',
          `The destination's incoming migration ${destination.incomingId} is not waiting for domain ${name} (${incoming?.state ?? 'unknown'})`,
        );
      const own = await domains.resolve(name, (await domains.get(name)).spec);
      const spec = targetSpec(name, incoming, own);
      const tunnels = await openSourceTunnels({
        dir,
        tls,
        destination: peer,
        incomingPath,
        signal,
        logger: log,
      });
      close = tunnels.close;
      job.heartbeatAt = new Date();
      const result = await hypervisor.moveLive(
        name,
        {
          hypervisorSocket: tunnels.hypervisorSocket,
          socketDir: path.join(
            this.options.hypervisorSocketDir,
            destination.incomingId,
          ),
          spec,
          bandwidthLimitKiBps: this.options.bandwidthLimitKiBps,
        },
        { signal, onProgress: p => job.progress(p) },
      );
      job.progress({
        bytesDone: result.bytesDone,
        bytesTotal: result.bytesDone,
      });
      job.downtimeMs = result.downtimeMs;
      await domains.forgetMoved(name);
      job.finish('succeeded');
      log.info(
        {
          bytes: job.bytesDone,
          downtimeMs: job.downtimeMs,
          seconds: (Date.now() - job.startedAt.getTime()) / 1000,
        },
        'domain moved live',
      );
    } catch (e) {
      const cancelled =
        signal.aborted || isAgentError(e, 'MIGRATION_CANCELLED');
      let code = isAgentError(e) ? e.code : 'MIGRATION_FAILED';
      if (code === 'TRANSFER_FAILED' || code === 'TRANSFER_CANCELLED')
        code = 'MIGRATION_FAILED';
      const message = (e as Error).message;
      job.finish(
        cancelled ? 'cancelled' : 'failed',
        cancelled
          ? {
              code: 'MIGRATION_CANCELLED',
              message: `The live migration of ${name} was cancelled; it runs here as before`,
            }
          : { code, message },
      );
      log.warn({ code, err: message }, 'live migration did not finish');
    } finally {
      close?.();
      await fs
        .rm(dir, { recursive: true, force: true })
        .catch(e =>
          log.warn(
            { err: (e as Error).message },
            'could not remove the migration sockets',
          ),
        );
    }
  }

  private require(name: string, id: string): LiveMigrationJob {
    validateName(name, 'domain name');
    const job = this.jobs.get(id);
    if (!job || job.domain !== name)
      throw new AgentError(
        'NOT_FOUND',
        `No live migration ${id} of domain ${name} here`,
      );
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
}
