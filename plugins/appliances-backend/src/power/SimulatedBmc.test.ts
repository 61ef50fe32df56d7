import { SimulatedBmc } from './SimulatedBmc';
import { bmcDriverContract } from './bmcDriverContract';

describe('SimulatedBmc', () => {
  const driver = new SimulatedBmc({ timeoutMs: 100 });
  const targets = [0, 1].map(i => ({
    address: `sim-${i}`,
    username: 'admin',
    password: `pw-${i}`,
  }));
  bmcDriverContract(() => ({
    driver,
    targets,
    pressButton: async (i, power) =>
      driver.pressButton(targets[i].address, power),
    setIgnoresSoftOff: async (i, ignores) =>
      driver.setIgnoresSoftOff(targets[i].address, ignores),
    freeze: async i => driver.setFault(targets[i].address, 'timeout'),
    thaw: async i => driver.setFault(targets[i].address, undefined),
  }));

  it('tells listeners when a chassis changes power', async () => {
    const heard: string[] = [];
    const stop = driver.onPowerChange((address, power) =>
      heard.push(`${address} ${power}`),
    );
    await driver.off(targets[0], 'hard');
    await driver.on(targets[0]);
    await driver.on(targets[0]);
    stop();
    expect(heard).toEqual(['sim-0 off', 'sim-0 on']);
  });
});
