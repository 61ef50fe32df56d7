import { describeWithTools } from '@tempest/provider-agent/testing';
import { IpmitoolBmc } from './IpmitoolBmc';
import { bmcDriverContract } from './bmcDriverContract';
import { IpmiSimHarness } from './__testUtils__/IpmiSimHarness';

jest.setTimeout(60_000);

describeWithTools(
  ['ipmi_sim', 'ipmitool'],
  'IpmitoolBmc against ipmi_sim',
  () => {
    let sim: IpmiSimHarness;
    // A frozen BMC must be given up on well within the test's time.
    const driver = new IpmitoolBmc({ timeoutMs: 4_000 });

    beforeAll(async () => {
      sim = await IpmiSimHarness.start(3);
    });
    afterAll(async () => {
      await sim?.stop();
    });

    bmcDriverContract(() => ({
      driver,
      targets: sim.chassis.map(c => c.target),
      pressButton: (i, power) => sim.pressButton(i, power),
      setIgnoresSoftOff: (i, ignores) => sim.setIgnoresSoftOff(i, ignores),
      freeze: async i => sim.freeze(i),
      thaw: async i => sim.thaw(i),
    }));

    it('reaches the chassis_control script of the right BMC only', async () => {
      const { target } = sim.chassis[2];
      await driver.off(target, 'hard');
      expect(await sim.power(2)).toBe('off');
      expect(await sim.power(0)).toBe('on');
      expect(await sim.calls(2)).toContain('set power 0');
      await driver.on(target);
      expect(await sim.power(2)).toBe('on');
    });

    it('reads a named sensor when one is configured', async () => {
      const named = new IpmitoolBmc({ wattsSensor: 'Power Meter' });
      expect(await named.readWatts(sim.chassis[0].target)).toBe(200);
    });

    it('never puts the password in its arguments', async () => {
      const seen: string[][] = [];
      const spy = new IpmitoolBmc({ command: '/bin/echo' });
      // echo prints its argv: the password must not be among it.
      const out = await (spy as any).run(sim.chassis[0].target, [
        'chassis',
        'power',
        'status',
      ]);
      seen.push(out.trim().split(' '));
      expect(seen[0]).toContain('-E');
      expect(out).not.toContain(sim.chassis[0].target.password);
    });
  },
);
