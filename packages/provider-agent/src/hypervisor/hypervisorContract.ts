/* eslint-disable jest/no-export */ // a contract suite is exported for each driver's test file to run
import { TEST_PATTERN_BARS } from '../console/testPattern';
import { agentErrorCode as code } from '../testing/agentErrorCode';
import { rfbConnect } from '../testing/rfbClient';
import { Hypervisor, ResolvedDomainSpec } from './Hypervisor';
import { LiveMoveFixture, liveMoveContract } from './liveMoveContract';
import { shutdownGracefully } from './shutdownGracefully';

export interface HypervisorFixture {
  hypervisor: Hypervisor;
  /** A domain spec this driver can start (real guests need real disks). */
  specFor(name: string): Promise<ResolvedDomainSpec>;
  /** Whether the guest honours an ACPI shutdown request before the timeout. */
  honoursShutdown: boolean;
  /** Prefix keeping names apart when drivers share one hypervisor. */
  prefix: string;
  /** A libvirt network whose NICs get an address while running; the NIC case is left out without one. */
  network?: string;
  /**
   * What a running domain's VNC display shows: the colour bars of the
   * simulated driver, any picture of a real guest; the console case is left
   * out without one (libvirt's test driver has no displays).
   */
  display?: 'test-pattern' | 'guest';
  /** A second hypervisor of this driver and the way to it: the live-move cases are left out without one. */
  live?: LiveMoveFixture;
}

/**
 * The behaviour every Hypervisor driver must share. Call inside a describe
 * block; `fixture()` is read lazily in each test, after beforeAll ran.
 */
export function hypervisorContract(
  fixture: () => HypervisorFixture,
  timeouts = { shutdownMs: 2_000, testMs: 30_000 },
) {
  const name = (suffix: string) => `${fixture().prefix}${suffix}`;

  it('reports node capacity', async () => {
    const node = await fixture().hypervisor.nodeInfo();
    expect(node.cpus).toBeGreaterThan(0);
    expect(node.memoryBytes).toBeGreaterThan(0);
  });

  it(
    'defines a domain once, shut off, and lists it',
    async () => {
      const { hypervisor, specFor } = fixture();
      const spec = await specFor(name('define'));
      await hypervisor.define(spec);
      await expect(hypervisor.status(spec.name)).resolves.toMatchObject({
        name: spec.name,
        state: 'shutoff',
        vcpus: spec.vcpus,
        memoryMiB: spec.memoryMiB,
      });
      expect((await hypervisor.list()).map(d => d.name)).toContain(spec.name);
      expect(await code(hypervisor.define(spec))).toBe('DOMAIN_EXISTS');
      await hypervisor.undefine(spec.name);
      expect(await code(hypervisor.status(spec.name))).toBe('UNKNOWN_DOMAIN');
    },
    timeouts.testMs,
  );

  it(
    'starts, suspends, resumes, shuts down and undefines, refusing wrong-state actions',
    async () => {
      const { hypervisor, specFor, honoursShutdown } = fixture();
      const spec = await specFor(name('life'));
      await hypervisor.define(spec);
      expect(await code(hypervisor.suspend(spec.name))).toBe(
        'DOMAIN_STATE_CONFLICT',
      );
      await hypervisor.start(spec.name);
      expect((await hypervisor.status(spec.name)).state).toBe('running');
      expect(await code(hypervisor.start(spec.name))).toBe(
        'DOMAIN_STATE_CONFLICT',
      );
      expect(await code(hypervisor.resume(spec.name))).toBe(
        'DOMAIN_STATE_CONFLICT',
      );
      expect(await code(hypervisor.undefine(spec.name))).toBe(
        'DOMAIN_STATE_CONFLICT',
      );

      const t1 = (await hypervisor.cpuTimes()).get(spec.name);
      expect(t1).toBeGreaterThanOrEqual(0);
      await new Promise(r => setTimeout(r, 300));
      const t2 = (await hypervisor.cpuTimes()).get(spec.name)!;
      expect(t2).toBeGreaterThanOrEqual(t1!);

      await hypervisor.suspend(spec.name);
      expect((await hypervisor.status(spec.name)).state).toBe('paused');
      await hypervisor.resume(spec.name);
      expect((await hypervisor.status(spec.name)).state).toBe('running');

      const { forced } = await shutdownGracefully(
        hypervisor,
        spec.name,
        timeouts.shutdownMs,
      );
      expect(forced).toBe(!honoursShutdown);
      expect((await hypervisor.status(spec.name)).state).toBe('shutoff');
      expect((await hypervisor.cpuTimes()).has(spec.name)).toBe(false);
      expect(await code(hypervisor.shutdown(spec.name))).toBe(
        'DOMAIN_STATE_CONFLICT',
      );
      await hypervisor.undefine(spec.name);
    },
    timeouts.testMs,
  );

  it(
    'destroys a paused domain',
    async () => {
      const { hypervisor, specFor } = fixture();
      const spec = await specFor(name('paused'));
      await hypervisor.define(spec);
      await hypervisor.start(spec.name);
      await hypervisor.suspend(spec.name);
      await expect(
        shutdownGracefully(hypervisor, spec.name, 100),
      ).resolves.toEqual({ forced: true });
      expect((await hypervisor.status(spec.name)).state).toBe('shutoff');
      await hypervisor.undefine(spec.name);
    },
    timeouts.testMs,
  );

  it(
    'gives a running NIC an address on its network, and reports none once shut off',
    async () => {
      const { hypervisor, specFor, network } = fixture();
      if (!network) return;
      const spec = await specFor(name('nic'));
      const mac = '02:7e:00:c0:ff:ee';
      const nics = [{ network, mac, addressSource: 'lease' as const }];
      await hypervisor.define({ ...spec, nics });
      expect(await hypervisor.interfaceAddresses(spec.name, nics)).toEqual([
        { mac, addresses: [] },
      ]);
      await hypervisor.start(spec.name);
      let held: string[] = [];
      for (let i = 0; i < 100 && !held.length; i++) {
        held = (await hypervisor.interfaceAddresses(spec.name, nics))[0]
          .addresses;
        if (!held.length) await new Promise(r => setTimeout(r, 300));
      }
      expect(held[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      await hypervisor.destroy(spec.name);
      expect(await hypervisor.interfaceAddresses(spec.name, nics)).toEqual([
        { mac, addresses: [] },
      ]);
      await hypervisor.undefine(spec.name);
    },
    timeouts.testMs,
  );

  it(
    "serves a running domain's display over RFB 3.8, and none once shut off",
    async () => {
      const { hypervisor, specFor, display } = fixture();
      if (!display) return;
      const spec = await specFor(name('vnc'));
      await hypervisor.define(spec);
      expect(await code(hypervisor.openVnc(spec.name))).toBe(
        'DOMAIN_STATE_CONFLICT',
      );
      await hypervisor.start(spec.name);
      const stream = await hypervisor.openVnc(spec.name);
      try {
        const session = await rfbConnect(stream);
        expect(session.version).toBe('RFB 003.008');
        expect(session.width).toBeGreaterThan(0);
        expect(session.height).toBeGreaterThan(0);
        const frame = await session.readFrame();
        // A real guest draws what it likes; the simulated display its colour bars and the domain's name.
        const barWidth = session.width / TEST_PATTERN_BARS.length;
        const seen = {
          name: session.name.includes(spec.name),
          bars: TEST_PATTERN_BARS.map((_c, i) =>
            frame.pixel(Math.floor((i + 0.5) * barWidth), 10),
          ),
        };
        const expected =
          display === 'test-pattern'
            ? { name: true, bars: TEST_PATTERN_BARS }
            : { name: seen.name, bars: seen.bars };
        expect(seen).toEqual(expected);
      } finally {
        stream.destroy();
      }
      await hypervisor.destroy(spec.name);
      expect(await code(hypervisor.openVnc(spec.name))).toBe(
        'DOMAIN_STATE_CONFLICT',
      );
      await hypervisor.undefine(spec.name);
    },
    timeouts.testMs,
  );

  describe('live moves', () => {
    liveMoveContract(fixture, timeouts.testMs);
  });

  it('answers UNKNOWN_DOMAIN for a domain it does not hold', async () => {
    const { hypervisor } = fixture();
    const ghost = name('ghost');
    for (const op of [
      'status',
      'start',
      'shutdown',
      'destroy',
      'suspend',
      'resume',
      'undefine',
      'openVnc',
    ] as const) {
      expect([op, await code(hypervisor[op](ghost))]).toEqual([
        op,
        'UNKNOWN_DOMAIN',
      ]);
    }
  });

  it('refuses names with path or shell characters before they reach the driver', async () => {
    const { hypervisor, specFor } = fixture();
    for (const bad of ['../etc', 'a;reboot', '$(id)', 'A B']) {
      expect(await code(hypervisor.status(bad))).toBe('INVALID_NAME');
      expect(await code(hypervisor.start(bad))).toBe('INVALID_NAME');
    }
    const spec = await specFor(name('bad'));
    expect(await code(hypervisor.define({ ...spec, name: "x'/><evil" }))).toBe(
      'INVALID_NAME',
    );
  });
}
