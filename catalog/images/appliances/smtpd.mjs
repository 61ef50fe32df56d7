// @ts-check
// Mail appliances on OpenSMTPD from Debian: the mail relay (relays mail from
// the networks in RELAY_NETWORKS, delivers mail for its own domain to local
// mailboxes) and the spam-filtering gateway (refuses senders without reverse
// DNS, marks mail from dynamic-looking hosts as junk, hands the rest to MAIL_RELAY).
import { ESCAPE, applianceLayer, panelFragment, service } from './layer.mjs';

/**
 * @param {import('./layer.mjs').LayerContext} ctx
 * @param {'relay' | 'filter'} role
 */
export function mailServer(ctx, role) {
  const tree = applianceLayer(ctx, {
    packages: ['opensmtpd'],
    users: [
      { name: 'opensmtpd', uid: 101, gid: 101, home: '/var/spool/smtpd' },
      { name: 'opensmtpq', uid: 102, gid: 102, home: '/var/spool/smtpd' },
    ],
    groups: [
      { name: 'opensmtpd', gid: 101 },
      { name: 'opensmtpq', gid: 102 },
    ],
  });
  tree.dir('/var/lib/opensmtpd/empty', 0o755); // where its unprivileged processes chroot
  tree.file(
    '/etc/aliases',
    'postmaster: root\nabuse: root\nmailer-daemon: root\n',
  );
  const filters =
    role === 'filter'
      ? `filter "no-rdns" phase mail-from match !rdns reject "550 Your address has no reverse DNS"
filter "dynamic" phase mail-from match rdns regex "(dyn|dhcp|pool|ppp|dsl|cable)[-.0-9]" junk
filter "spamfilter" chain { "no-rdns", "dynamic" }
`
      : '';
  const rules =
    role === 'relay'
      ? `table relay_from { $relay_from }
action "local" mbox alias <aliases>
action "relay" relay
match from any for domain "$domain" action "local"
match from local for local action "local"
match from src <relay_from> for any action "relay"`
      : `action "local" mbox alias <aliases>
action "onward" $onward
match from any for domain "$domain" action "onward"
match from local for local action "local"`;
  const listenFilter = role === 'filter' ? ' filter "spamfilter"' : '';
  service(tree, '50-smtpd', {
    start: `fqdn=$(cat /etc/tempest/fqdn)
domain=\${fqdn#*.}
[ "$domain" = "$fqdn" ] && domain=$fqdn
relay_from=$(echo "\${RELAY_NETWORKS:-10.0.0.0/8 172.16.0.0/12 192.168.0.0/16}" | sed 's/[^ ][^ ]*/"&"/g; s/ /, /g')
if [ -n "$MAIL_RELAY" ]; then onward="relay host \\"smtp://$MAIL_RELAY\\""; else onward="mbox alias <aliases>"; fi
mkdir -p /var/spool/smtpd /var/mail /run/smtpd
chmod 711 /var/spool/smtpd
chmod 1777 /var/mail
cat >/run/smtpd/smtpd.conf <<CONF
table aliases file:/etc/aliases
${filters}listen on 0.0.0.0 port 25 hostname "$fqdn"${listenFilter}
${rules}
CONF
smtpd -f /run/smtpd/smtpd.conf`,
    stop: 'smtpctl stop 2>/dev/null || killall smtpd',
  });
  panelFragment(
    tree,
    '50-smtpd',
    `echo "<h2>OpenSMTPD</h2><h3>Configuration</h3><pre>"
grep -v '^table aliases' /run/smtpd/smtpd.conf 2>/dev/null | ${ESCAPE}
echo "</pre><h3>Queue</h3><pre>"
smtpctl show queue 2>&1 | head -n 20 | ${ESCAPE}
echo "</pre>"`,
  );
  return tree;
}
