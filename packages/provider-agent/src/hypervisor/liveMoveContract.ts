/* eslint-disable jest/no-export */ // part of the contract suite each driver's test file runs
import { agentErrorCode as code } from '../testing/agentErrorCode';
import type { HypervisorFixture } from './hypervisorContract';
import {
  Hypervisor,
  LiveMoveProgress,
  LiveMoveTarget,
  ResolvedDomainSpec,
} from './Hypervisor';

/** A second hypervisor of the same driver and the way between the two, for the live-move cases. */
export interface LiveMoveFixture {
  destination: Hypervisor;
  /** A spec for a guest that moves: tiny, with a writable layer holding data. */
  specFor(name: string): Promise<ResolvedDomainSpec>;
  /** The same guest as the destination resolves it: its own paths, its writable layers made empty (as a live import does). */
  destinationSpecFor(source: ResolvedDomainSpec): Promise<ResolvedDomainSpec>;
  /**
   * What the agents' tunnels do, for the migration folder `id`: sockets on
   * the source's side joined to the destination's. `socketDir` is the folder
   * as both hypervisors see it.
   */
  tunnel(id: string): Promise<{
    target: Omit<LiveMoveTarget, 'spec'>;
    close(): Promise<void>;
  }>;
  /** Writes data into the source's writable layer before the guest starts. */
  writeMarker(spec: ResolvedDomainSpec): Promise<void>;
  /** Whether the destination's writable layer holds that data (read once the guest is off). */
  hasMarker(spec: ResolvedDomainSpec): Promise<boolean>;
  /** A bandwidth (KiB/s) that keeps a move going for seconds, to cancel it. */
  slowKiBps: number;
}

const running = ['running', 'blocked'];

/**
 * The live-move contract: two hypervisors of one driver. Call inside a
 * describe block; the cases are left out without `live()`.
 */
export function liveMoveContract(
  fixture: () => HypervisorFixture,
  testMs: number,
) {
  const name = (suffix: string) => `${fixture().prefix}${suffix}`;
  const live = () => fixture().live;

  it(
    'moves a running domain live: it runs on the destination, defined, with its disk data, and is gone from the source',
    async () => {
      const f = live();
      if (!f) return;
      const source = fixture().hypervisor;
      const spec = await f.specFor(name('move'));
      await f.writeMarker(spec);
      await source.define(spec);
      await source.start(spec.name);
      const target = await f.destinationSpecFor(spec);
      const tunnel = await f.tunnel('move');
      const incoming = await f.destination.receiveLive(
        target,
        tunnel.target.socketDir,
      );
      const seen: LiveMoveProgress[] = [];
      try {
        const result = await source.moveLive(
          spec.name,
          { ...tunnel.target, spec: target },
          {
            signal: new AbortController().signal,
            onProgress: p => seen.push(p),
          },
        );
        await incoming.arrived;
        expect(result.bytesDone).toBeGreaterThan(0);
        expect(result.downtimeMs).toBeGreaterThanOrEqual(0);
        expect(seen.length).toBeGreaterThan(0);
      } finally {
        await tunnel.close();
      }
      expect(running).toContain((await f.destination.status(spec.name)).state);
      expect(await f.destination.status(spec.name)).toMatchObject({
        vcpus: spec.vcpus,
        memoryMiB: spec.memoryMiB,
      });
      expect((await f.destination.list()).map(d => d.name)).toContain(
        spec.name,
      );
      expect(await code(source.status(spec.name))).toBe('UNKNOWN_DOMAIN');
      expect(await incoming.abandon()).toBe('arrived');
      await f.destination.destroy(spec.name);
      expect(await f.hasMarker(target)).toBe(true);
      // Defined persistently: it stays once off, until undefined.
      expect((await f.destination.status(spec.name)).state).toBe('shutoff');
      await f.destination.undefine(spec.name);
    },
    testMs,
  );

  it(
    'leaves the domain running on the source when nothing takes it at the destination',
    async () => {
      const f = live();
      if (!f) return;
      const source = fixture().hypervisor;
      const spec = await f.specFor(name('nowhere'));
      await source.define(spec);
      await source.start(spec.name);
      const target = await f.destinationSpecFor(spec);
      // A folder and RPC socket nobody listens on.
      const tunnel = await f.tunnel('nowhere');
      await tunnel.close();
      expect(
        await code(
          source.moveLive(
            spec.name,
            { ...tunnel.target, spec: target },
            { signal: new AbortController().signal, onProgress: () => {} },
          ),
        ),
      ).toBe('MIGRATION_FAILED');
      expect(running).toContain((await source.status(spec.name)).state);
      expect(await code(f.destination.status(spec.name))).toBe(
        'UNKNOWN_DOMAIN',
      );
      await source.destroy(spec.name);
      await source.undefine(spec.name);
    },
    testMs,
  );

  it(
    'leaves the domain running on the source when the move is cancelled, and nothing at the destination once abandoned',
    async () => {
      const f = live();
      if (!f) return;
      const source = fixture().hypervisor;
      const spec = await f.specFor(name('cancel'));
      await f.writeMarker(spec);
      await source.define(spec);
      await source.start(spec.name);
      const target = await f.destinationSpecFor(spec);
      const tunnel = await f.tunnel('cancel');
      const incoming = await f.destination.receiveLive(
        target,
        tunnel.target.socketDir,
      );
      const controller = new AbortController();
      let beats = 0;
      try {
        const outcome = await code(
          source.moveLive(
            spec.name,
            {
              ...tunnel.target,
              spec: target,
              bandwidthLimitKiBps: f.slowKiBps,
            },
            {
              signal: controller.signal,
              onProgress: p => {
                beats++;
                if (p.bytesDone > 0) controller.abort();
              },
            },
          ),
        );
        expect(outcome).toBe('MIGRATION_CANCELLED');
        expect(beats).toBeGreaterThan(0);
      } finally {
        await tunnel.close();
      }
      expect(running).toContain((await source.status(spec.name)).state);
      expect(await incoming.abandon()).toBe('abandoned');
      expect(await code(f.destination.status(spec.name))).toBe(
        'UNKNOWN_DOMAIN',
      );
      await expect(incoming.arrived).rejects.toThrow();
      await source.destroy(spec.name);
      await source.undefine(spec.name);
    },
    testMs,
  );

  it('refuses to move a domain that is not running', async () => {
    const f = live();
    if (!f) return;
    const source = fixture().hypervisor;
    const spec = await f.specFor(name('off'));
    await source.define(spec);
    const tunnel = await f.tunnel('off');
    try {
      expect(
        await code(
          source.moveLive(
            spec.name,
            { ...tunnel.target, spec: await f.destinationSpecFor(spec) },
            { signal: new AbortController().signal, onProgress: () => {} },
          ),
        ),
      ).toBe('DOMAIN_NOT_RUNNING');
    } finally {
      await tunnel.close();
    }
    await source.undefine(spec.name);
  });
}
