// @ts-check
// Firewall: nftables from Debian guarding the instance with a stateful
// ruleset (loopback, replies, ICMP, and the TCP ports in ALLOW_TCP, 22 and 80
// by default); the webpanel shows the ruleset and its counters.
import { ESCAPE, applianceLayer, panelFragment, service } from './layer.mjs';

/** @param {import('./layer.mjs').LayerContext} ctx */
export function firewall(ctx) {
  const tree = applianceLayer(ctx, {
    packages: ['nftables'],
    modules: ['nf_tables', 'nft_ct', 'nft_reject_inet'],
  });
  service(tree, '20-nftables', {
    start: `ports=$(echo "\${ALLOW_TCP:-22 80}" | tr -cs '0-9' ' ' | sed 's/^ //; s/ $//; s/ /, /g')
cat >/run/tempest/nftables.conf <<RULES
flush ruleset
table inet filter {
  chain input {
    type filter hook input priority 0; policy drop;
    iif lo accept
    ct state established,related accept
    ct state invalid drop
    meta l4proto { icmp, ipv6-icmp } accept
    udp sport 67 udp dport 68 accept
    tcp dport { $ports } counter accept
    counter reject with icmpx type admin-prohibited
  }
  chain forward { type filter hook forward priority 0; policy drop; }
  chain output { type filter hook output priority 0; policy accept; }
}
RULES
nft -f /run/tempest/nftables.conf`,
    stop: 'nft flush ruleset',
  });
  panelFragment(
    tree,
    '50-nftables',
    `echo "<h2>nftables</h2><p>$(nft --version | ${ESCAPE})</p><h3>Ruleset</h3><pre>"
nft list ruleset 2>&1 | ${ESCAPE}
echo "</pre>"`,
  );
  return tree;
}
