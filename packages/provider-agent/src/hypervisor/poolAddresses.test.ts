import { poolAddresses } from './poolAddresses';

describe('poolAddresses', () => {
  it('leaves out the network, gateway and broadcast addresses', () => {
    expect([...poolAddresses('10.77.0.0/29')]).toEqual([
      '10.77.0.2',
      '10.77.0.3',
      '10.77.0.4',
      '10.77.0.5',
      '10.77.0.6',
    ]);
    expect([...poolAddresses('192.168.200.77/30')]).toEqual(['192.168.200.78']);
    expect([...poolAddresses('172.16.0.0/16')]).toHaveLength(65533);
    expect([...poolAddresses('200.1.0.0/24')].at(-1)).toBe('200.1.0.254');
  });
});
