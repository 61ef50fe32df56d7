import { InputError } from '@backstage/errors';

/** `host`, `host:port`, `[v6]:port` or a bare IPv6 address; port 623 when none is given. */
export function parseBmcAddress(address: string): {
  host: string;
  port: number;
} {
  let host = address;
  let port = 623;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(address);
  if (bracketed) {
    host = bracketed[1];
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if (/^[^:]+:\d{1,5}$/.test(address)) {
    const i = address.lastIndexOf(':');
    host = address.slice(0, i);
    port = Number(address.slice(i + 1));
  }
  // Names and addresses only: nothing ipmitool could read as an option.
  if (
    !/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}$/.test(host) ||
    port < 1 ||
    port > 65535
  )
    throw new InputError(
      `BMC address '${address}' is not a host name or address with an optional port`,
    );
  return { host, port };
}
