/**
 * The addresses a DHCP server would hand out in an IPv4 CIDR range: all but
 * the network address, the first host (the gateway) and the broadcast address.
 * Lazily, in order: a lease looks for the first free one in ranges up to a /16.
 */
export function* poolAddresses(cidr: string): Generator<string> {
  const [base, bits] = cidr.split('/');
  const prefix = Number(bits);
  const start =
    base.split('.').reduce((n, octet) => n * 256 + Number(octet), 0) &
    (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
  const size = 2 ** (32 - prefix);
  for (let i = 2; i < size - 1; i++) {
    const n = (start >>> 0) + i;
    yield [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
}
