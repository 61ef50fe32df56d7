// @ts-check
// Every appliance of the sample channel (catalog/channels/sample/<name>.xml):
// the function that builds its layer and how to tell its service answers.
import { dnsServer } from './dns.mjs';
import { firewall } from './firewall.mjs';
import { loadBalancer } from './haproxy.mjs';
import { ldapServer } from './ldap.mjs';
import { redisServer } from './redis.mjs';
import { mailServer } from './smtpd.mjs';
import { webServer } from './webserv.mjs';

/**
 * @typedef {{ kind: 'http' | 'smtp' | 'dns' | 'redis' | 'ldap' | 'tcp', port: number, proto?: 'udp', path?: string }} Probe
 * @type {Record<string, { build: (ctx: import('./layer.mjs').LayerContext) => import('../lib/tree.mjs').Tree, probe: Probe }>}
 */
export const APPLIANCES = {
  'webserv-1.0.0': {
    build: ctx => webServer(ctx, { tls: false }),
    probe: { kind: 'http', port: 80 },
  },
  'webserv-1.1.0': {
    build: ctx => webServer(ctx, { tls: true }),
    probe: { kind: 'http', port: 80 },
  },
  mailrelay: {
    build: ctx => mailServer(ctx, 'relay'),
    probe: { kind: 'smtp', port: 25 },
  },
  spamfilter: {
    build: ctx => mailServer(ctx, 'filter'),
    probe: { kind: 'smtp', port: 25 },
  },
  dns: { build: dnsServer, probe: { kind: 'dns', port: 53, proto: 'udp' } },
  firewall: {
    build: firewall,
    probe: { kind: 'http', port: 80, path: '/panel/' },
  },
  database: { build: redisServer, probe: { kind: 'redis', port: 6379 } },
  ldap: { build: ldapServer, probe: { kind: 'ldap', port: 389 } },
  loadbalancer: {
    build: loadBalancer,
    probe: { kind: 'http', port: 80, path: '/panel/' },
  },
};
