// @ts-check
// DNS server: dnsmasq from Debian, authoritative for the instance's domain
// (its own name, and the records in the DNS_RECORDS variable) and caching
// and forwarding everything else to the resolvers DHCP gave it.
import { ESCAPE, applianceLayer, panelFragment, service } from './layer.mjs';

/** @param {import('./layer.mjs').LayerContext} ctx */
export function dnsServer(ctx) {
  const tree = applianceLayer(ctx, {
    packages: ['dnsmasq-base'],
    users: [{ name: 'dnsmasq', uid: 100, gid: 65534, home: '/var/lib/misc' }],
  });
  // The records file: this instance, then DNS_RECORDS ("name=address name2=address2").
  tree.file(
    '/usr/lib/tempest/dns-records',
    `#!/bin/sh
[ -f /etc/tempest/appliance.env ] && . /etc/tempest/appliance.env
fqdn=$(cat /etc/tempest/fqdn)
address=$(cat /run/tempest/address 2>/dev/null)
mkdir -p /run/dnsmasq
{
  [ -n "$address" ] && echo "$address $fqdn $(hostname)"
  for record in $DNS_RECORDS; do
    name=\${record%%=*}; value=\${record#*=}
    case "$name" in *.*) ;; *) [ "$fqdn" != "$(hostname)" ] && name="$name.\${fqdn#*.}" ;; esac
    echo "$value $name"
  done
} >/run/dnsmasq/hosts
`,
    0o755,
  );
  tree.file(
    '/etc/tempest/address.d/50-dns',
    '#!/bin/sh\n/usr/lib/tempest/dns-records\n[ -f /run/dnsmasq.pid ] && kill -HUP "$(cat /run/dnsmasq.pid)"\nexit 0\n',
    0o755,
  );
  service(tree, '50-dnsmasq', {
    start: `/usr/lib/tempest/dns-records
fqdn=$(cat /etc/tempest/fqdn)
domain=\${fqdn#*.}
[ "$domain" = "$fqdn" ] && domain=
{
  echo "port=53"
  echo "no-hosts"
  echo "addn-hosts=/run/dnsmasq/hosts"
  echo "resolv-file=/etc/resolv.conf"
  echo "domain-needed"
  echo "bogus-priv"
  echo "cache-size=1000"
  echo "user=dnsmasq"
  echo "group=nogroup"
  echo "pid-file=/run/dnsmasq.pid"
  echo "log-facility=/var/log/dnsmasq.log"
  if [ -n "$domain" ]; then echo "local=/$domain/"; echo "domain=$domain"; fi
} >/run/dnsmasq/dnsmasq.conf
dnsmasq --conf-file=/run/dnsmasq/dnsmasq.conf`,
    stop: '[ -f /run/dnsmasq.pid ] && kill "$(cat /run/dnsmasq.pid)"',
  });
  panelFragment(
    tree,
    '50-dnsmasq',
    `echo "<h2>dnsmasq</h2><p>$(dnsmasq --version | head -1 | ${ESCAPE})</p><h3>Records</h3><pre>"
${ESCAPE} /run/dnsmasq/hosts 2>/dev/null
echo "</pre>"`,
  );
  return tree;
}
