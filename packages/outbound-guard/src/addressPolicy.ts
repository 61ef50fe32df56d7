import { BlockList, isIP } from 'node:net';

/** What a range is, for messages that say why an address was refused. */
const SPECIAL_RANGES: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified ("this network") address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'an IETF protocol address'],
  ['192.0.2.0', 24, 'ipv4', 'a documentation address'],
  ['192.88.99.0', 24, 'ipv4', 'a 6to4 relay address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['198.51.100.0', 24, 'ipv4', 'a documentation address'],
  ['203.0.113.0', 24, 'ipv4', 'a documentation address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['100::', 64, 'ipv6', 'a discard address'],
  ['2001::', 23, 'ipv6', 'an IETF protocol address'],
  ['2001:db8::', 32, 'ipv6', 'a documentation address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fec0::', 10, 'ipv6', 'a site-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

/** The eight 16-bit groups of an IPv6 address (with or without an embedded IPv4 tail). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parts = (s?: string) =>
    s ? s.split(':').map(h => parseInt(h, 16)) : [];
  const front = parts(head);
  const back = parts(tail);
  const zeros =
    tail === undefined ? [] : Array(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}

/**
 * The IPv4 address an IPv6 address carries and would reach: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and
 * 6to4 (2002::/16). Undefined for any other.
 */
export function embeddedIpv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  const v4 = (hi: number, lo: number) =>
    [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  const zero = (from: number, to: number) =>
    g.slice(from, to).every(x => x === 0);
  if (zero(0, 5) && g[5] === 0xffff) return v4(g[6], g[7]);
  if (zero(0, 6) && (g[6] !== 0 || g[7] > 1)) return v4(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4(g[6], g[7]);
  if (g[0] === 0x2002) return v4(g[1], g[2]);
  return undefined;
}

export interface AddressPolicy {
  /** Why an IP address may not be connected to, or undefined when it may. */
  refusal(address: string): string | undefined;
}

/**
 * Outbound connections may reach public addresses only: loopback, private,
 * link-local (169.254.169.254, the cloud metadata service), multicast and
 * other special-purpose ranges are refused, including when an IPv6 address
 * carries one, unless a range in `allow` (CIDR, e.g. `127.0.0.1/32`,
 * `10.1.0.0/16`, `::1/128`) covers the address.
 */
export function createAddressPolicy(
  options: { allow?: readonly string[] } = {},
): AddressPolicy {
  const special = new BlockList();
  const labels: Array<[BlockList, string]> = [];
  for (const [network, prefix, type, label] of SPECIAL_RANGES) {
    special.addSubnet(network, prefix, type);
    const one = new BlockList();
    one.addSubnet(network, prefix, type);
    labels.push([one, label]);
  }
  const allowed = new BlockList();
  for (const entry of options.allow ?? []) {
    const [network, prefixText] = entry.trim().split('/');
    const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(network))
      throw new Error(
        `'${entry}' is not an address range such as 127.0.0.1/32 or 10.0.0.0/8`,
      );
    const max = type === 'ipv6' ? 128 : 32;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > max)
      throw new Error(`'${entry}' has a prefix length outside 0..${max}`);
    allowed.addSubnet(network, prefix, type);
  }

  const check = (address: string): string | undefined => {
    const family = isIP(address);
    if (!family) return 'not an IP address';
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (allowed.check(address, type)) return undefined;
    if (family === 6) {
      const inner = embeddedIpv4(address);
      if (inner) {
        const reason = check(inner);
        if (reason) return `${reason} (inside ${address})`;
      }
    }
    if (!special.check(address, type)) return undefined;
    const label = labels.find(([list]) => list.check(address, type))?.[1];
    return `${address} is ${label ?? 'a special-purpose address'}`;
  };
  return { refusal: check };
}
