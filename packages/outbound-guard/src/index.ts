/**
 * Outbound HTTP(S) that cannot be aimed inward: loopback, private and
 * link-local addresses are refused unless allowed, on the DNS answer the
 * socket connects to, at every redirect hop.
 *
 * @packageDocumentation
 */
export { createAddressPolicy, embeddedIpv4 } from './addressPolicy';
export type { AddressPolicy } from './addressPolicy';
export {
  AddressRefusedError,
  guardedAgent,
  guardedLookup,
} from './guardedAgent';
