import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AgentError, isAgentError } from '../errors/AgentError';
import { buildDomainXml } from './buildDomainXml';
import {
  IncomingDomain,
  LiveMoveProgress,
  LiveMoveResult,
  LiveMoveTarget,
  ResolvedDomainSpec,
} from './Hypervisor';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SAFE_PATH = /^\/[A-Za-z0-9/._+-]+$/;
const POLL_MS = 500;

export interface VirshCalls {
  uri: string;
  virsh: string;
  domainType: string;
  /** `virsh -q -c URI args…` on this host's libvirt, mapped to AgentErrors. */
  run(args: string[], uri?: string): Promise<string>;
}

/** `virsh domjobinfo --rawstats` fields (`name: value` lines, or virsh's `name=value`). */
export function parseRawJobStats(out: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const m = /^\s*([a-z_]+)\s*[:=]\s*(\d+)\s*$/.exec(line);
    if (m) fields[m[1]] = Number(m[2]);
  }
  return fields;
}

/** The libvirt URI reaching the destination's libvirtd through a unix socket: same driver and path as ours. */
export function destinationUri(ownUri: string, socket: string): string {
  const m = /^([a-z0-9]+)(?:\+[a-z0-9]+)?:\/\/[^/]*(\/[a-z]+)/.exec(ownUri);
  if (!m)
    throw new AgentError(
      'NOT_SUPPORTED',
      `Cannot tell the libvirt driver of ${ownUri}, so live migration cannot name the destination`,
    );
  if (!SAFE_PATH.test(socket))
    throw new AgentError(
      'INVALID_PATH',
      `The migration socket ${socket} has characters a libvirt URI cannot carry`,
    );
  return `${m[1]}+unix://${m[2]}?socket=${socket}`;
}

/**
 * `virsh migrate --live --copy-storage-inc` to the destination's libvirtd
 * through the tunnel's socket; memory through `socketDir/mem.sock`, the
 * writable disks (NBD) through `socketDir/nbd.sock`. The destination's
 * definition is built from its resolved spec with this domain's uuid and
 * machine type (libvirt checks both). Progress from `domjobinfo` twice a
 * second; cancel is `domjobabort`. libvirt leaves a guest whose migration
 * failed running here; this checks it, and resumes one left paused.
 */
export async function virshMoveLive(
  v: VirshCalls,
  name: string,
  target: LiveMoveTarget,
  options: { signal: AbortSignal; onProgress(p: LiveMoveProgress): void },
): Promise<LiveMoveResult> {
  const { signal } = options;
  const status = await v.run(['domstate', '--domain', name]);
  if (!/^(running|idle)/.test(status.trim()))
    throw new AgentError(
      'DOMAIN_NOT_RUNNING',
      `Domain ${name} is not running (state ${status.trim()}): only a running domain moves live`,
    );
  const uuid = (await v.run(['domuuid', '--domain', name])).trim();
  if (!UUID.test(uuid))
    throw new AgentError('HYPERVISOR_ERROR', `virsh gave no uuid for ${name}`);
  const current = await v.run(['dumpxml', '--domain', name]);
  const machine = /<type [^>]*machine='([A-Za-z0-9._-]+)'/.exec(current)?.[1];
  for (const p of [target.socketDir, ...target.spec.disks.map(d => d.path)])
    if (!SAFE_PATH.test(p))
      throw new AgentError(
        'INVALID_PATH',
        `${p} has characters a migration URI cannot carry`,
      );
  const desturi = destinationUri(v.uri, target.hypervisorSocket);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'tempest-migrate-'));
  let polling: NodeJS.Timeout | undefined;
  let completed: ReturnType<typeof watchJobCompleted> | undefined;
  try {
    const xmlFile = path.join(work, 'destination.xml');
    await fs.writeFile(
      xmlFile,
      buildDomainXml({ ...target.spec, name }, v.domainType, {
        uuid,
        machine,
      }),
    );
    const args = [
      '-q',
      '-c',
      v.uri,
      'migrate',
      '--live',
      '--copy-storage-inc',
      '--persistent',
      '--undefinesource',
      '--xml',
      xmlFile,
      '--persistent-xml',
      xmlFile,
      '--migrateuri',
      `unix://${target.socketDir}/mem.sock`,
      '--disks-uri',
      `unix://${target.socketDir}/nbd.sock`,
      ...(target.bandwidthLimitKiBps
        ? [
            '--bandwidth',
            String(Math.max(1, Math.round(target.bandwidthLimitKiBps / 1024))),
          ]
        : []),
      '--domain',
      name,
      '--desturi',
      desturi,
    ];
    completed = watchJobCompleted(v, name);
    const child = spawn(v.virsh, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', code => resolve(code));
    });
    const progress: LiveMoveProgress = { bytesDone: 0, bytesTotal: null };
    let busy = false;
    let pollProblem: string | undefined;
    polling = setInterval(() => {
      if (busy) return;
      busy = true;
      v.run(['domjobinfo', '--rawstats', '--domain', name])
        .then(out => {
          const f = parseRawJobStats(out);
          if (f.data_total !== undefined) {
            progress.bytesDone = Math.max(
              progress.bytesDone,
              f.data_processed ?? 0,
            );
            progress.bytesTotal = f.data_total || null;
          }
          // Each answer is a sign of life, with or without figures yet.
          options.onProgress({ ...progress });
        })
        .catch((e: Error) => {
          // A missed poll: the next may answer; the heartbeat waits for one that does.
          pollProblem = e.message;
        })
        .finally(() => {
          busy = false;
        });
    }, POLL_MS);
    let abortProblem: string | undefined;
    const onAbort = () => {
      v.run(['domjobabort', '--domain', name]).catch((e: Error) => {
        // The job may have ended meanwhile; virsh's own exit tells the outcome.
        abortProblem = e.message;
      });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const code = await exited.finally(() =>
      signal.removeEventListener('abort', onAbort),
    );
    clearInterval(polling);
    polling = undefined;
    if (code === 0 && !signal.aborted) {
      // libvirt's job-completed event carries the final figures, downtime among them.
      const done = parseRawJobStats(await completed.text(2_000));
      const bytesDone = Math.max(progress.bytesDone, done.data_processed ?? 0);
      options.onProgress({ bytesDone, bytesTotal: bytesDone });
      return { bytesDone, downtimeMs: done.downtime ?? null };
    }
    await stillRunningHere(v, name);
    const reason = [
      stderr
        .replace(/\s+/g, ' ')
        .replace(/^error: /, '')
        .trim(),
      abortProblem && `domjobabort: ${abortProblem}`,
      !stderr && pollProblem && `domjobinfo: ${pollProblem}`,
    ]
      .filter(Boolean)
      .join('; ');
    if (signal.aborted)
      throw new AgentError(
        'MIGRATION_CANCELLED',
        `The live migration of ${name} was cancelled; it runs here as before`,
      );
    throw new AgentError(
      'MIGRATION_FAILED',
      `The live migration of ${name} failed (${reason || `virsh exit ${code}`}); it runs here as before`,
    );
  } finally {
    if (polling) clearInterval(polling);
    completed?.stop();
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** `virsh event --event job-completed` on the domain: its output once the event came (or the wait ran out). */
function watchJobCompleted(v: VirshCalls, name: string) {
  const child = spawn(
    v.virsh,
    ['-q', '-c', v.uri, 'event', '--domain', name, '--event', 'job-completed'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C' },
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out = (out + c.toString()).slice(-8000);
  });
  const exited = new Promise<void>(resolve => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    text: async (waitMs: number) => {
      await Promise.race([exited, new Promise(r => setTimeout(r, waitMs))]);
      return out;
    },
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

/** After a failed move: the guest must be running here (resumed if libvirt left it paused). */
async function stillRunningHere(v: VirshCalls, name: string) {
  const state = (await v.run(['domstate', '--domain', name])).trim();
  let resumeProblem = '';
  if (state.startsWith('paused'))
    await v.run(['resume', '--domain', name]).catch((e: Error) => {
      resumeProblem = ` (resume: ${e.message})`;
    });
  const now = (await v.run(['domstate', '--domain', name])).trim();
  if (!/^(running|idle)/.test(now))
    throw new AgentError(
      'MIGRATION_FAILED',
      `The live migration of ${name} failed and left it ${now} here${resumeProblem}`,
    );
}

/**
 * The destination's side with libvirt: libvirtd itself prepares the guest
 * when the source's virsh calls it (through the tunnel); this only watches
 * for it to arrive — running and defined persistently — and on abandon
 * destroys and undefines whatever half-arrived.
 */
export function virshReceiveLive(
  v: VirshCalls,
  spec: ResolvedDomainSpec,
): IncomingDomain {
  const { name } = spec;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastProblem: string | undefined;
  let settle!: { resolve(): void; reject(e: Error): void };
  const arrived = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Abandoning rejects it; whoever waits for it hears so, nobody else need.
  arrived.catch(e => {
    if (!isAgentError(e, 'MIGRATION_CANCELLED')) throw e;
  });
  /** Whether the guest runs here, defined persistently: it has arrived. */
  const here = async () => {
    try {
      const info = await v.run(['dominfo', '--domain', name]);
      return (
        /^State:\s+running/m.test(info) && /^Persistent:\s+yes/m.test(info)
      );
    } catch (e) {
      if (isAgentError(e, 'UNKNOWN_DOMAIN')) return false;
      throw e;
    }
  };
  const check = async () => {
    if (stopped) return;
    const yes = await here().catch((e: Error) => {
      // libvirtd busy with the migration: asked again shortly.
      lastProblem = e.message;
      return false;
    });
    if (stopped) return;
    if (yes) settle.resolve();
    else timer = setTimeout(() => void check(), POLL_MS);
  };
  void check();
  return {
    arrived,
    abandon: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (await here()) {
        settle.resolve();
        return 'arrived';
      }
      settle.reject(
        new AgentError(
          'MIGRATION_CANCELLED',
          `Stopped waiting for domain ${name}${lastProblem ? ` (last check: ${lastProblem})` : ''}`,
        ),
      );
      // Whatever half-arrived goes: gone already, or not running, is fine.
      const gone = (e: unknown) => {
        if (
          !isAgentError(e, 'UNKNOWN_DOMAIN') &&
          !isAgentError(e, 'DOMAIN_STATE_CONFLICT')
        )
          throw e;
      };
      await v.run(['destroy', '--domain', name]).catch(gone);
      if (await v.run(['dominfo', '--domain', name]).catch(gone))
        await v.run(['undefine', '--domain', name]).catch(gone);
      return 'abandoned';
    },
  };
}
