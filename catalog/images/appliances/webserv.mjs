// @ts-check
// Simple Web Server: nginx from Debian serving /srv/www (on the user disk
// when there is one), whose first page names the instance; the webpanel at /panel/.
import { ESCAPE, applianceLayer, panelFragment, service } from './layer.mjs';

/**
 * @param {import('./layer.mjs').LayerContext} ctx
 * @param {{ tls: boolean }} options 1.1.0 adds HTTPS with HTTP/2 and a live status page
 */
export function webServer(ctx, options) {
  const tree = applianceLayer(ctx, {
    packages: ['nginx', 'nginx-common', ...(options.tls ? ['openssl'] : [])],
    skip: [/^\/etc\/nginx\/sites-/, /^\/var\/www\//, /^\/usr\/share\/nginx\//],
    users: [{ name: 'www-data', uid: 33, gid: 33, home: '/var/www' }],
    groups: [{ name: 'www-data', gid: 33 }],
  });
  const tls = options.tls
    ? `
    listen 443 ssl http2 default_server;
    ssl_certificate /etc/nginx/tls/server.crt;
    ssl_certificate_key /etc/nginx/tls/server.key;
    location = /nginx_status { stub_status; }`
    : '';
  tree.file(
    '/etc/nginx/nginx.conf',
    `user www-data;
worker_processes 1;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /var/log/nginx/access.log;
  sendfile on;
  ${options.tls ? 'gzip on;\n  gzip_types text/css application/javascript application/json;' : ''}
  server {
    listen 80 default_server;
    listen [::]:80 default_server;${tls}
    root /srv/www;
    index index.html;
    location /panel/ { root /srv/panel; }
  }
}
`,
  );
  tree.file('/etc/tempest/panel.listen', '127.0.0.1:8080\n');
  const cert = options.tls
    ? `if [ ! -f /etc/nginx/tls/server.key ]; then
  mkdir -p /etc/nginx/tls
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \\
    -subj "/CN=$(cat /etc/tempest/fqdn)" -addext "subjectAltName=DNS:$(cat /etc/tempest/fqdn)" \\
    -keyout /etc/nginx/tls/server.key -out /etc/nginx/tls/server.crt 2>/dev/null
fi`
    : '';
  service(tree, '50-nginx', {
    start: `
if [ -d /srv/user ]; then
  mkdir -p /srv/user/www && ln -sfn /srv/user/www /srv/www
else
  mkdir -p /srv/www
fi
[ -f /srv/www/index.html ] || printf '%s\n' '<!doctype html><html><head><meta charset=utf-8><title>'"$(hostname)"'</title></head>' \
  '<body><h1>Simple Web Server on '"$(cat /etc/tempest/fqdn)"'</h1>' \
  '<p>Served by nginx on the instance <strong>'"$(hostname)"'</strong>. Replace /srv/www/index.html with your site.</p></body></html>' \
  >/srv/www/index.html
${cert}
mkdir -p /var/log/nginx /var/lib/nginx
chown www-data:www-data /var/lib/nginx
nginx`,
    stop: 'nginx -s quit',
  });
  panelFragment(
    tree,
    '50-nginx',
    `echo "<h2>nginx</h2><pre>"
nginx -v 2>&1 | ${ESCAPE}
echo "Site: /srv/www $( [ -d /srv/user ] && echo '(on the user disk)')"
tail -n 5 /var/log/nginx/access.log 2>/dev/null | ${ESCAPE}
echo "</pre>"`,
  );
  return tree;
}
