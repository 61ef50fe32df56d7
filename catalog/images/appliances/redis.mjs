// @ts-check
// Key-value database: Redis from Debian, persisting to the data disk (or
// /var/lib/redis). With REDIS_PASSWORD it answers the network; without, only
// the instance itself (Redis's protected mode).
import { ESCAPE, applianceLayer, panelFragment, service } from './layer.mjs';

/** @param {import('./layer.mjs').LayerContext} ctx */
export function redisServer(ctx) {
  const tree = applianceLayer(ctx, {
    packages: ['redis-server', 'redis-tools'],
    users: [{ name: 'redis', uid: 103, gid: 103, home: '/var/lib/redis' }],
    groups: [{ name: 'redis', gid: 103 }],
  });
  service(tree, '50-redis', {
    start: `dir=/var/lib/redis
[ -d /srv/data ] && dir=/srv/data/redis
mkdir -p "$dir" /run/redis /var/log/redis
chown redis:redis "$dir" /run/redis /var/log/redis
{
  echo "bind 0.0.0.0"
  echo "port 6379"
  echo "daemonize yes"
  echo "pidfile /run/redis/redis-server.pid"
  echo "logfile /var/log/redis/redis-server.log"
  echo "dir $dir"
  echo "appendonly yes"
  if [ -n "$REDIS_PASSWORD" ]; then echo "requirepass $REDIS_PASSWORD"; else echo "protected-mode yes"; fi
} >/run/redis/redis.conf
chown redis:redis /run/redis/redis.conf
chmod 600 /run/redis/redis.conf
start-stop-daemon -S -c redis:redis -x /usr/bin/redis-server -- /run/redis/redis.conf`,
    stop: 'redis-cli shutdown 2>/dev/null || killall redis-server',
  });
  panelFragment(
    tree,
    '50-redis',
    `echo "<h2>Redis</h2><pre>"
redis-server --version | ${ESCAPE}
if [ -n "$(sed -n 's/^requirepass //p' /run/redis/redis.conf)" ]; then echo "Clients on the network authenticate with REDIS_PASSWORD."; else echo "Protected mode: only the instance itself may connect (set REDIS_PASSWORD to open it to the network)."; fi
redis-cli info keyspace 2>/dev/null | ${ESCAPE}
echo "</pre>"`,
  );
  return tree;
}
