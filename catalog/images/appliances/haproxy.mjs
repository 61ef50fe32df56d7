// @ts-check
// Load balancer: HAProxy from Debian spreading HTTP on port 80 round-robin
// over the servers in BACKENDS ("host:port host:port"), with its statistics
// page at /haproxy?stats and the webpanel at /panel/.
import { ESCAPE, applianceLayer, panelFragment, service } from './layer.mjs';

/** @param {import('./layer.mjs').LayerContext} ctx */
export function loadBalancer(ctx) {
  const tree = applianceLayer(ctx, {
    packages: ['haproxy'],
    skip: [/^\/usr\/share\/haproxy\//, /^\/etc\/haproxy\/errors\//],
    users: [{ name: 'haproxy', uid: 105, gid: 105, home: '/var/lib/haproxy' }],
    groups: [{ name: 'haproxy', gid: 105 }],
  });
  tree.file('/etc/tempest/panel.listen', '127.0.0.1:8080\n');
  service(tree, '50-haproxy', {
    start: `mkdir -p /run/haproxy /var/lib/haproxy
{
  echo "global"
  echo "  daemon"
  echo "  maxconn 2048"
  echo "  user haproxy"
  echo "  group haproxy"
  echo "  pidfile /run/haproxy/haproxy.pid"
  echo "  chroot /var/lib/haproxy"
  echo "defaults"
  echo "  mode http"
  echo "  timeout connect 5s"
  echo "  timeout client 30s"
  echo "  timeout server 30s"
  echo "frontend web"
  echo "  bind :80"
  echo "  stats enable"
  echo "  stats uri /haproxy?stats"
  echo "  use_backend panel if { path_beg /panel/ }"
  echo "  default_backend servers"
  echo "backend panel"
  echo "  server panel 127.0.0.1:8080"
  echo "backend servers"
  echo "  balance roundrobin"
  n=0
  for b in $BACKENDS; do n=$((n + 1)); echo "  server s$n $b check"; done
} >/run/haproxy/haproxy.cfg
haproxy -f /run/haproxy/haproxy.cfg`,
    stop: '[ -f /run/haproxy/haproxy.pid ] && kill "$(cat /run/haproxy/haproxy.pid)"',
  });
  panelFragment(
    tree,
    '50-haproxy',
    `echo "<h2>HAProxy</h2><p>$(haproxy -v | head -1 | ${ESCAPE}); statistics at <a href=\\"/haproxy?stats\\">/haproxy?stats</a></p><h3>Servers</h3><pre>"
sed -n 's/^  server s[0-9]* //p' /run/haproxy/haproxy.cfg | ${ESCAPE}
[ -n "$BACKENDS" ] || echo "none yet: set the BACKENDS variable"
echo "</pre>"`,
  );
  return tree;
}
