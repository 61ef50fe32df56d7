import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { AgentError, isAgentError } from '../errors/AgentError';
import { unlessMissing } from '../storage/unlessMissing';
import { IncomingDomain, LiveMoveProgress, LiveMoveResult } from './Hypervisor';

/** What a simulated guest carries to its new host besides its spec: its running state. */
export interface SimulatedGuestState {
  cpuTimeNs: number;
  load: number;
  leases?: Record<string, string>;
}

const CHUNK = 64 * 1024;
const MAX_STATE_BYTES = 64 * 1024;

function connect(file: string, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(file);
    const onAbort = () => socket.destroy(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', e => {
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
  });
}

/** The next line the peer sends, or the reason there is none. */
function readLine(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      reject(e);
    };
    socket.on('data', (c: Buffer) => {
      if (done) return;
      text += c.toString('utf8');
      const end = text.indexOf('\n');
      if (end >= 0) {
        done = true;
        resolve(text.slice(0, end));
      } else if (text.length > MAX_STATE_BYTES)
        fail(new Error('the peer sent an over-long line'));
    });
    const closed = () =>
      fail(new Error('the peer closed the connection without answering'));
    socket.once('end', closed);
    socket.once('close', closed);
    socket.once('error', fail);
  });
}

function write(socket: net.Socket, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(data, e => (e ? reject(e) : resolve())),
  );
}

/**
 * The simulated driver's source side of a live move, as libvirt's is: the
 * writable disks' bytes through `nbd.sock` (each as an 8-byte length and
 * its bytes), then the guest paused and its state as one JSON line through
 * `mem.sock`; the destination answers `ok` once the guest runs there.
 */
export async function sendSimulatedGuest(options: {
  socketDir: string;
  disks: string[];
  signal: AbortSignal;
  onProgress(progress: LiveMoveProgress): void;
  bandwidthLimitKiBps?: number;
  /** Pauses the guest and returns its state, at the switch-over. */
  pause(): SimulatedGuestState;
}): Promise<LiveMoveResult> {
  const { signal } = options;
  const contents: Buffer[] = [];
  for (const disk of options.disks)
    contents.push(await unlessMissing(fs.readFile(disk), Buffer.alloc(0)));
  const progress: LiveMoveProgress = {
    bytesDone: 0,
    bytesTotal: contents.reduce((sum, c) => sum + 8 + c.length, 0),
  };
  const beat = setInterval(() => options.onProgress({ ...progress }), 250);
  const sockets: net.Socket[] = [];
  const started = Date.now();
  const pace = async () => {
    if (!options.bandwidthLimitKiBps) return;
    const due =
      (progress.bytesDone / (options.bandwidthLimitKiBps * 1024)) * 1000;
    const wait = started + due - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
  };
  try {
    const disks = await connect(
      path.join(options.socketDir, 'nbd.sock'),
      signal,
    );
    sockets.push(disks);
    disks.on('error', () => undefined);
    for (const content of contents) {
      const length = Buffer.alloc(8);
      length.writeBigUInt64BE(BigInt(content.length));
      await write(disks, length);
      progress.bytesDone += 8;
      for (let at = 0; at < content.length; at += CHUNK) {
        if (signal.aborted) throw new Error('cancelled');
        await write(disks, content.subarray(at, at + CHUNK));
        progress.bytesDone += Math.min(CHUNK, content.length - at);
        await pace();
      }
    }
    const disksDone = await readLine(disks);
    if (disksDone !== 'ok')
      throw new Error(`the destination refused the disks: ${disksDone}`);
    const memory = await connect(
      path.join(options.socketDir, 'mem.sock'),
      signal,
    );
    sockets.push(memory);
    memory.on('error', () => undefined);
    const pausedAt = Date.now();
    const state = JSON.stringify(options.pause());
    progress.bytesTotal! += state.length + 1;
    await write(memory, `${state}\n`);
    progress.bytesDone += state.length + 1;
    const answer = await readLine(memory);
    if (answer !== 'ok')
      throw new Error(`the destination refused the guest: ${answer}`);
    options.onProgress({ ...progress });
    return { bytesDone: progress.bytesDone, downtimeMs: Date.now() - pausedAt };
  } catch (e) {
    if (signal.aborted)
      throw new AgentError(
        'MIGRATION_CANCELLED',
        'The live move was cancelled',
      );
    throw new AgentError(
      'MIGRATION_FAILED',
      `The live move failed: ${(e as Error).message}`,
    );
  } finally {
    clearInterval(beat);
    for (const socket of sockets) socket.destroy();
  }
}

/** Reads one length-prefixed disk after another, `count` of them. */
function readDisks(socket: net.Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const disks: Buffer[] = [];
    let pending = Buffer.alloc(0);
    let want: number | undefined;
    let parts: Buffer[] = [];
    let got = 0;
    let done = count === 0;
    if (done) resolve([]);
    socket.on('data', (c: Buffer) => {
      if (done) return;
      pending = Buffer.concat([pending, c]);
      while (!done) {
        if (want === undefined) {
          if (pending.length < 8) return;
          want = Number(pending.readBigUInt64BE(0));
          pending = pending.subarray(8);
          parts = [];
          got = 0;
        }
        const n = Math.min(want - got, pending.length);
        parts.push(pending.subarray(0, n));
        got += n;
        pending = pending.subarray(n);
        if (got < want) return;
        disks.push(Buffer.concat(parts));
        want = undefined;
        if (disks.length === count) {
          done = true;
          resolve(disks);
        }
      }
    });
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      reject(e);
    };
    socket.once('close', () =>
      fail(new Error(`the source sent ${disks.length} of ${count} disks`)),
    );
    socket.once('error', fail);
  });
}

/**
 * The simulated driver's destination side: listens on `nbd.sock` and
 * `mem.sock` in `dir` (its own view of the migration folder), writes the
 * disks it receives over its own files, and hands the guest's state to
 * `accept`, which makes it run here.
 */
export async function receiveSimulatedGuest(options: {
  dir: string;
  disks: string[];
  accept(state: SimulatedGuestState): Promise<void>;
}): Promise<IncomingDomain> {
  const { dir } = options;
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const open = new Set<net.Socket>();
  let closed = false;
  let disksReceived = false;
  let accepted = false;
  let settle!: { resolve(): void; reject(e: Error): void };
  const arrived = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Abandoning rejects it; whoever waits for it hears so, nobody else need.
  arrived.catch(e => {
    if (!isAgentError(e, 'MIGRATION_CANCELLED')) throw e;
  });
  const track = (socket: net.Socket) => {
    open.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => open.delete(socket));
  };
  const diskServer = net.createServer(socket => {
    track(socket);
    readDisks(socket, options.disks.length)
      .then(async contents => {
        for (const [i, content] of contents.entries())
          if (content.length) await fs.writeFile(options.disks[i], content);
        disksReceived = true;
        socket.end('ok\n');
      })
      .catch(e => socket.end(`error ${(e as Error).message}\n`));
  });
  const memoryServer = net.createServer(socket => {
    track(socket);
    readLine(socket)
      .then(async line => {
        if (!disksReceived)
          throw new Error('the guest came before its disks were complete');
        const state = JSON.parse(line) as SimulatedGuestState;
        if (!Number.isFinite(state?.cpuTimeNs) || !Number.isFinite(state?.load))
          throw new Error('the guest state is not readable');
        if (closed) throw new Error('the destination stopped waiting');
        await options.accept(state);
        accepted = true;
        socket.end('ok\n');
        settle.resolve();
      })
      .catch(e => socket.end(`error ${(e as Error).message}\n`));
  });
  const listen = (server: net.Server, name: string) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path.join(dir, name), () => resolve());
    });
  await listen(diskServer, 'nbd.sock');
  await listen(memoryServer, 'mem.sock');
  return {
    arrived,
    abandon: async () => {
      closed = true;
      diskServer.close();
      memoryServer.close();
      for (const socket of open) socket.destroy();
      settle.reject(
        new AgentError(
          'MIGRATION_CANCELLED',
          'The destination stopped waiting for the guest',
        ),
      );
      await fs.rm(dir, { recursive: true, force: true });
      return accepted ? 'arrived' : 'abandoned';
    },
  };
}
