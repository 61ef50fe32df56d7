/* eslint-disable jest/no-export */ // a contract suite is exported for each driver's test file to run
import { BmcDriver, BmcError, BmcTarget } from './BmcDriver';
import { powerOff } from './powerOff';

export interface BmcFixture {
  driver: BmcDriver;
  /** At least two chassis, each powered on at the start. */
  targets: BmcTarget[];
  /** Power changed behind the driver's back (a button at the rack). */
  pressButton(index: number, power: 'on' | 'off'): Promise<void>;
  setIgnoresSoftOff(index: number, ignores: boolean): Promise<void>;
  /** The BMC stops answering until thawed. */
  freeze(index: number): Promise<void>;
  thaw(index: number): Promise<void>;
}

/**
 * The behaviour every BMC driver must share. Call inside a describe block;
 * `fixture()` is read lazily in each test, after beforeAll ran.
 */
export function bmcDriverContract(fixture: () => BmcFixture) {
  const f = () => fixture();

  it('reads power and Watts of several chassis independently', async () => {
    const { driver, targets } = f();
    await driver.off(targets[1], 'hard');
    expect(await driver.status(targets[0])).toBe('on');
    expect(await driver.status(targets[1])).toBe('off');
    expect(await driver.readWatts(targets[0])).toBeGreaterThan(0);
    await driver.on(targets[1]);
    expect(await driver.status(targets[1])).toBe('on');
  });

  it('powers off hard and on again, and the reading follows', async () => {
    const { driver, targets } = f();
    await driver.off(targets[0], 'hard');
    expect(await driver.status(targets[0])).toBe('off');
    await expect(waitForWatts(driver, targets[0], w => w === 0)).resolves.toBe(
      0,
    );
    await driver.on(targets[0]);
    expect(await driver.status(targets[0])).toBe('on');
    await expect(
      waitForWatts(driver, targets[0], w => w > 0),
    ).resolves.toBeGreaterThan(0);
  });

  it('shuts down softly when the operating system honours it', async () => {
    const { driver, targets } = f();
    expect(
      await powerOff(driver, targets[0], { softTimeoutMs: 3_000, pollMs: 100 }),
    ).toBe('soft');
    expect(await driver.status(targets[0])).toBe('off');
    expect(await powerOff(driver, targets[0], { softTimeoutMs: 3_000 })).toBe(
      'already',
    );
    await driver.on(targets[0]);
  });

  it('cuts power hard after the soft timeout when the operating system ignores it', async () => {
    const { driver, targets, setIgnoresSoftOff } = f();
    await setIgnoresSoftOff(0, true);
    try {
      const started = Date.now();
      expect(
        await powerOff(driver, targets[0], { softTimeoutMs: 600, pollMs: 100 }),
      ).toBe('hard');
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(await driver.status(targets[0])).toBe('off');
    } finally {
      await setIgnoresSoftOff(0, false);
      await driver.on(targets[0]);
    }
  });

  it('power-cycles a chassis that is on and it comes back on', async () => {
    const { driver, targets } = f();
    await driver.cycle(targets[0]);
    // A BMC waits a moment between off and on.
    let power = await driver.status(targets[0]);
    for (let i = 0; i < 40 && power !== 'on'; i++) {
      await new Promise(r => setTimeout(r, 250));
      power = await driver.status(targets[0]);
    }
    expect(power).toBe('on');
  });

  it('sees a change made behind its back', async () => {
    const { driver, targets, pressButton } = f();
    await pressButton(1, 'off');
    expect(await driver.status(targets[1])).toBe('off');
    await pressButton(1, 'on');
    expect(await driver.status(targets[1])).toBe('on');
  });

  it('refuses wrong credentials with an error, never an answer', async () => {
    const { driver, targets } = f();
    const wrong = { ...targets[0], password: 'not-the-password' };
    await expect(driver.status(wrong)).rejects.toBeInstanceOf(BmcError);
    await expect(driver.on(wrong)).rejects.toMatchObject({ kind: 'auth' });
  });

  it('reports a BMC that does not answer as a timeout', async () => {
    const { driver, targets, freeze, thaw } = f();
    await freeze(1);
    try {
      await expect(driver.status(targets[1])).rejects.toMatchObject({
        kind: 'timeout',
      });
    } finally {
      await thaw(1);
    }
    expect(await driver.status(targets[1])).toBe('on');
  });
}

/** Sensors are polled by the BMC, so a reading may lag the power by a poll. */
async function waitForWatts(
  driver: BmcDriver,
  target: BmcTarget,
  ok: (watts: number) => boolean,
): Promise<number | undefined> {
  let watts: number | undefined;
  for (let i = 0; i < 30; i++) {
    watts = await driver.readWatts(target);
    if (watts !== undefined && ok(watts)) return watts;
    await new Promise(r => setTimeout(r, 200));
  }
  return watts;
}
