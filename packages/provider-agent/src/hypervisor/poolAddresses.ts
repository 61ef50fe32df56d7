/**
 * The addresses a DHCP server would hand out in an IPv4 CIDR range: all but
 * the network address, the first host (the gateway) and the broadcast address.
 */
export function poolAddresses(cidr: string): string[] {
  const [base, bits] = cidr.split('/');
  const prefix = Number(bits);
  const start =
    base.split('.').reduce((n, octet) => n * 256 + Number(octet), 0) &
    (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
  const size = 2 ** (32 - prefix);
  const out: string[] = [];
  for (let i = 2; i < size - 1; i++) {
    const n = (start >>> 0) + i;
    out.push([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.'));
  }
  return out;
}
