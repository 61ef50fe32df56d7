import { parseDomifaddr } from './VirshHypervisor';

describe('parseDomifaddr', () => {
  it('reads each address with its NIC, continuation rows included', () => {
    const out = [
      ' Name       MAC address          Protocol     Address',
      '-------------------------------------------------------------------------------',
      ' vnet0      52:54:00:9C:5E:1C    ipv4         192.168.122.101/24',
      ' -          -                    ipv6         fd00::5/64',
      ' vnet1      02:7e:00:00:00:02    ipv4         10.0.0.9/8',
      '',
    ].join('\n');
    expect(parseDomifaddr(out)).toEqual([
      { mac: '52:54:00:9c:5e:1c', address: '192.168.122.101' },
      { mac: '52:54:00:9c:5e:1c', address: 'fd00::5' },
      { mac: '02:7e:00:00:00:02', address: '10.0.0.9' },
    ]);
    expect(parseDomifaddr('')).toEqual([]);
  });
});
