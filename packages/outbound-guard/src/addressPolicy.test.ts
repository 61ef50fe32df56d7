import { createAddressPolicy, embeddedIpv4 } from './addressPolicy';

describe('createAddressPolicy', () => {
  const strict = createAddressPolicy();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00::1', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'carrier-grade'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
  ])('refuses %s (%s)', (address, kind) => {
    expect(strict.refusal(address)).toContain(kind);
  });

  it.each([
    '93.184.215.14',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
  ])('lets %s through', address => {
    expect(strict.refusal(address)).toBeUndefined();
  });

  it('lets through what a range in allow covers, and only that', () => {
    const policy = createAddressPolicy({
      allow: ['127.0.0.1/32', '10.1.0.0/16', '::1'],
    });
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::ffff:127.0.0.1')).toBeUndefined();
    expect(policy.refusal('::1')).toBeUndefined();
    expect(policy.refusal('10.1.200.3')).toBeUndefined();
    expect(policy.refusal('127.0.0.2')).toContain('loopback');
    expect(policy.refusal('10.2.0.1')).toContain('private');
  });

  it('refuses an allow entry that is not a range', () => {
    expect(() => createAddressPolicy({ allow: ['localhost'] })).toThrow(
      /not an address range/,
    );
    expect(() => createAddressPolicy({ allow: ['10.0.0.0/33'] })).toThrow(
      /prefix length/,
    );
  });
});

describe('embeddedIpv4', () => {
  it.each([
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::ffff:102:304', '1.2.3.4'],
    ['64:ff9b::102:304', '1.2.3.4'],
    ['2002:102:304::1', '1.2.3.4'],
    ['2606:4700::1', undefined],
    ['::1', undefined],
  ])('%s carries %s', (address, v4) => {
    expect(embeddedIpv4(address)).toBe(v4);
  });
});
