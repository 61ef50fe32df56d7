import dns from 'node:dns';
import { LookupFunction, isIP } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { AddressPolicy } from './addressPolicy';

/** An outbound connection refused by the address policy; `code` is ERR_ADDRESS_REFUSED. */
export class AddressRefusedError extends Error {
  readonly code = 'ERR_ADDRESS_REFUSED';
  constructor(host: string, reason: string) {
    super(
      `${host} was not contacted: ${reason}, which outbound fetches may not reach unless allowed`,
    );
    this.name = 'AddressRefusedError';
  }
}

/**
 * A DNS lookup for net/tls.connect that refuses a name when any address it
 * resolves to is refused by `policy`. The socket connects to the address
 * this answers, so what was checked is what is reached (no second lookup to
 * rebind).
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        (callback as any)(error);
        return;
      }
      for (const { address } of addresses) {
        const reason = policy.refusal(address);
        if (reason) {
          (callback as any)(new AddressRefusedError(hostname, reason));
          return;
        }
      }
      if ((options as dns.LookupOptions).all) {
        (callback as any)(null, addresses);
      } else {
        (callback as any)(null, addresses[0].address, addresses[0].family);
      }
    });
  };
}

/**
 * An undici Agent whose every connection — the first request and each
 * redirect hop alike — goes only where `policy` allows: an IP literal is
 * checked before connecting, a name on its DNS answer.
 */
export function guardedAgent(
  policy: AddressPolicy,
  options: Agent.Options = {},
): Agent {
  const connect = buildConnector({
    ...(typeof options.connect === 'object' ? options.connect : {}),
    lookup: guardedLookup(policy),
  } as buildConnector.BuildOptions);
  return new Agent({
    ...options,
    connect: (opts, callback) => {
      const literal = opts.hostname.replace(/^\[(.*)\]$/, '$1');
      if (isIP(literal)) {
        const reason = policy.refusal(literal);
        if (reason) {
          callback(new AddressRefusedError(opts.hostname, reason), null);
          return;
        }
      }
      connect(opts, callback);
    },
  });
}
