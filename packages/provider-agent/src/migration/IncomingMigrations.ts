import type { AgentApiSchemas } from '../api/apiTypes';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { isIP, type Socket } from 'node:net';
import path from 'node:path';
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { DomainService } from '../domains/DomainService';
import { AgentError, isAgentError } from '../errors/AgentError';
import { Hypervisor, IncomingDomain } from '../hypervisor/Hypervisor';
import { validateName } from '../validation/names';
import { checkPeerGrant, peerMismatch } from './peerIdentity';

export type IncomingView = AgentApiSchemas['IncomingMigration'];
export type IncomingRequest = AgentApiSchemas['IncomingMigrationRequest'];
export type MigrationChannel = 'hypervisor' | 'memory' | 'disks';

const KEEP_FINISHED = 50;
/** How long streams still open when the domain arrived may stay open. */
const ARRIVED_STREAMS_MS = 30_000;
/** The socket in the migration folder each stream reaches (the hypervisor's own listeners). */
export const CHANNEL_SOCKETS = { memory: 'mem.sock', disks: 'nbd.sock' };

interface Entry {
  view: IncomingView;
  target?: IncomingView['target'];
  incoming?: IncomingDomain;
  release(): void;
  /** This migration's socket folder, as this agent sees it. */
  dir: string;
  timer: NodeJS.Timeout;
  streams: Set<Socket>;
  folderReady?: Promise<void>;
  ending?: Promise<void>;
}

export interface IncomingMigrationsOptions {
  hypervisor: Hypervisor;
  domains: DomainService;
  /** Where migrations' socket folders are, as this agent sees it. */
  socketDir: string;
  /** The same folder as the hypervisor sees it (another mount namespace or container). */
  hypervisorSocketDir: string;
  logger: Logger;
}

/**
 * The destination's half of live migrations: a domain expected from one
 * peer agent, whose streams (hypervisor RPC, memory, disks) only that
 * peer's certificate may open, until it arrives, is abandoned or expires.
 */
export class IncomingMigrations {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: IncomingMigrationsOptions) {}

  async init(): Promise<void> {
    // No incoming migration outlives the agent: their folders go.
    await fs.rm(this.options.socketDir, { recursive: true, force: true });
    await fs.mkdir(this.options.socketDir, { recursive: true, mode: 0o711 });
  }

  async create(name: string, request: IncomingRequest): Promise<IncomingView> {
    validateName(name, 'domain name');
    const ttlSeconds = checkPeerGrant(request, 'the source agent');
    const peer = request.peer;
    const carried = carriedAddressesOf(request);
    const { hypervisor, domains, logger } = this.options;
    const { resolved, release } = await domains.reserveIncoming(
      name,
      request.spec,
      async () =>
        hypervisor.status(name).then(
          () => true,
          e => {
            if (isAgentError(e, 'UNKNOWN_DOMAIN')) return false;
            throw e;
          },
        ),
    );
    const id = randomUUID();
    const dir = path.join(this.options.socketDir, id);
    const createdAt = new Date();
    const view: IncomingView = {
      id,
      domain: name,
      peer: {
        hostId: peer.hostId,
        certificateFingerprint256: peer.certificateFingerprint256,
      },
      state: 'waiting',
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(
        createdAt.getTime() + ttlSeconds * 1000,
      ).toISOString(),
    };
    const { name: _name, ...target } = resolved;
    let entry: Entry | undefined;
    try {
      // The hypervisor's qemu (another user in production) creates its sockets in it.
      await fs.mkdir(dir, { recursive: true });
      await fs.chmod(dir, 0o777);
      const incoming = await hypervisor.receiveLive(
        resolved,
        path.join(this.options.hypervisorSocketDir, id),
      );
      const timer = setTimeout(
        () => void this.end(id, 'expired'),
        ttlSeconds * 1000,
      );
      timer.unref();
      entry = {
        view,
        target,
        incoming,
        release,
        dir,
        timer,
        streams: new Set(),
      };
      this.entries.set(id, entry);
    } catch (e) {
      release();
      await fs.rm(dir, { recursive: true, force: true });
      throw e;
    }
    const arrived = entry;
    arrived.incoming!.arrived.then(
      () => this.arrive(arrived, request.spec, carried),
      e => {
        // Abandoned or expired: told where it ends; anything else is news.
        if (!isAgentError(e, 'MIGRATION_CANCELLED'))
          logger.warn(
            { err: (e as Error).message, incoming: id },
            'waiting for a domain failed',
          );
      },
    );
    this.prune();
    logger.info(
      { incoming: id, domain: name, peer: peer.hostId },
      'waiting for a domain (live migration)',
    );
    return this.present(entry);
  }

  get(name: string, id: string): IncomingView {
    return this.present(this.require(name, id));
  }

  /** Gives up waiting (idempotent); DOMAIN_ARRIVED once the domain is here. */
  async abandon(name: string, id: string): Promise<void> {
    validateName(name, 'domain name');
    const entry = this.entries.get(id);
    if (!entry || entry.view.domain !== name) return;
    if (entry.view.state === 'arrived')
      throw new AgentError(
        'DOMAIN_ARRIVED',
        `Domain ${name} has arrived and runs here; it is no longer the migration's to remove`,
      );
    await this.end(id, 'abandoned');
    if (this.entries.get(id)?.view.state === 'arrived')
      throw new AgentError(
        'DOMAIN_ARRIVED',
        `Domain ${name} arrived before the migration could be abandoned; it runs here`,
      );
  }

  /** Why a caller with this certificate may not open the migration's streams, or undefined. */
  peerProblem(
    name: string,
    id: string,
    cert: PeerCertificate,
  ): AgentError | undefined {
    let entry: Entry;
    try {
      entry = this.require(name, id);
    } catch (e) {
      return e as AgentError;
    }
    const mismatch = peerMismatch(cert, entry.view.peer);
    if (mismatch)
      return new AgentError(
        'CLIENT_CERT_REQUIRED',
        `The incoming migration ${id} of domain ${name} is for host ${entry.view.peer.hostId} only: ${mismatch}`,
      );
    return undefined;
  }

  /** The socket a stream of a waiting migration reaches here; tracks the stream. */
  async streamTarget(
    name: string,
    id: string,
    channel: MigrationChannel,
    stream: Socket,
  ): Promise<string> {
    const entry = this.require(name, id);
    if (entry.view.state !== 'waiting')
      throw new AgentError(
        'NOT_FOUND',
        `The incoming migration ${id} of domain ${name} is ${entry.view.state}: it opens no streams`,
      );
    entry.folderReady ??= this.options.domains.prepareFolder(name);
    await entry.folderReady;
    entry.streams.add(stream);
    stream.once('close', () => entry.streams.delete(stream));
    if (channel === 'hypervisor') {
      const socket = this.options.hypervisor.rpcSocket;
      if (!socket)
        throw new AgentError(
          'NOT_SUPPORTED',
          `The ${this.options.hypervisor.driver} driver has no RPC socket to reach`,
        );
      return socket;
    }
    return path.join(entry.dir, CHANNEL_SOCKETS[channel]);
  }

  async close(): Promise<void> {
    for (const entry of [...this.entries.values()])
      if (entry.view.state === 'waiting')
        await this.end(entry.view.id, 'abandoned');
  }

  private async arrive(
    entry: Entry,
    spec: IncomingRequest['spec'],
    carried: Array<{ mac: string; addresses: string[] }>,
  ) {
    if (entry.view.state !== 'waiting') return;
    const { domains, logger } = this.options;
    entry.view.state = 'arrived';
    entry.view.arrivedAt = new Date().toISOString();
    try {
      await domains.adoptArrived(entry.view.domain, spec, carried);
    } catch (e) {
      logger.error(
        { err: (e as Error).message, domain: entry.view.domain },
        'a domain arrived but its record could not be written',
      );
    }
    this.finish(entry);
    // The source's virsh still ends its calls here; a stream it keeps open past that is cut.
    setTimeout(() => {
      for (const stream of entry.streams) stream.destroy();
    }, ARRIVED_STREAMS_MS).unref();
    logger.info(
      { incoming: entry.view.id, domain: entry.view.domain },
      'domain arrived (live migration)',
    );
  }

  /** Stops a waiting migration: streams cut, whatever half-arrived destroyed, its folders gone. */
  private end(id: string, state: 'abandoned' | 'expired'): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.view.state !== 'waiting') return Promise.resolve();
    entry.ending ??= this.stop(entry, state).catch(e =>
      this.options.logger.warn(
        { err: (e as Error).message, incoming: id },
        'could not stop an incoming migration cleanly',
      ),
    );
    return entry.ending;
  }

  private async stop(entry: Entry, state: 'abandoned' | 'expired') {
    const id = entry.view.id;
    const outcome = await entry.incoming!.abandon();
    if (outcome === 'arrived') {
      await entry.incoming!.arrived;
      return;
    }
    if (entry.view.state !== 'waiting') return;
    entry.view.state = state;
    for (const stream of entry.streams) stream.destroy();
    await this.options.domains.removeUnarrived(entry.view.domain);
    this.finish(entry);
    this.options.logger.info(
      { incoming: id, domain: entry.view.domain, state },
      'incoming migration ended without the domain',
    );
  }

  private finish(entry: Entry) {
    clearTimeout(entry.timer);
    entry.release();
    delete entry.target;
    void fs.rm(entry.dir, { recursive: true, force: true });
  }

  private present(entry: Entry): IncomingView {
    return {
      ...entry.view,
      ...(entry.target ? { target: structuredClone(entry.target) } : {}),
    };
  }

  private require(name: string, id: string): Entry {
    validateName(name, 'domain name');
    const entry = this.entries.get(id);
    if (!entry || entry.view.domain !== name)
      throw new AgentError(
        'NOT_FOUND',
        `No incoming migration ${id} of domain ${name} here`,
      );
    return entry;
  }

  private prune() {
    const ended = [...this.entries.values()].filter(
      e => e.view.state !== 'waiting',
    );
    for (const e of ended.slice(0, Math.max(0, ended.length - KEEP_FINISHED)))
      this.entries.delete(e.view.id);
  }
}

/** The guest's addresses the request carries, for NICs of its spec only; anything not an IP address is refused. */
export function carriedAddressesOf(
  request: IncomingRequest,
): Array<{ mac: string; addresses: string[] }> {
  const macs = new Set((request.spec.nics ?? []).map(n => n.mac));
  const carried = request.addresses ?? [];
  for (const nic of carried) {
    if (!macs.has(nic.mac))
      throw new AgentError(
        'INVALID_REQUEST',
        `addresses names ${nic.mac}, which is not a NIC of the domain`,
      );
    const bad = nic.addresses.find(a => isIP(a) === 0);
    if (bad !== undefined)
      throw new AgentError(
        'INVALID_REQUEST',
        `${JSON.stringify(bad)} in addresses is not an IP address`,
      );
  }
  return carried.map(n => ({ mac: n.mac, addresses: [...n.addresses] }));
}
