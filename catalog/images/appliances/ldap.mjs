// @ts-check
// Directory: OpenLDAP slapd from Debian with an MDB database for the
// instance's domain (dc=example,dc=com for example.com), people and groups
// branches made at first boot, and an administrator whose password is the
// LDAP_ADMIN_PASSWORD variable (without it, the directory is read-only).
import { ESCAPE, applianceLayer, panelFragment, service } from './layer.mjs';

/** @param {import('./layer.mjs').LayerContext} ctx */
export function ldapServer(ctx) {
  const tree = applianceLayer(ctx, {
    packages: ['slapd'],
    // Perl and ODBC back ends are left out, with the libraries only they need.
    withoutLibraries: ['libperl5.36', 'libodbc2'],
    skip: [
      /^\/usr\/lib\/ldap\/back_(perl|sql)/,
      /^\/usr\/lib\/ldap\/smbk5pwd/,
      /^\/usr\/share\/slapd\//,
    ],
    users: [{ name: 'openldap', uid: 104, gid: 104, home: '/var/lib/ldap' }],
    groups: [{ name: 'openldap', gid: 104 }],
  });
  service(tree, '50-slapd', {
    start: `fqdn=$(cat /etc/tempest/fqdn)
domain=\${fqdn#*.}
[ "$domain" = "$fqdn" ] && domain=example.invalid
suffix=$(echo "$domain" | sed 's/^/dc=/; s/\\./,dc=/g')
dir=/var/lib/ldap
[ -d /srv/data ] && dir=/srv/data/ldap
mkdir -p "$dir" /run/slapd
rootpw=
[ -n "$LDAP_ADMIN_PASSWORD" ] && rootpw="rootpw $(slappasswd -s "$LDAP_ADMIN_PASSWORD")"
cat >/run/slapd/slapd.conf <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile /run/slapd/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 268435456
suffix "$suffix"
rootdn "cn=admin,$suffix"
$rootpw
directory $dir
index objectClass eq
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
CONF
if [ ! -f "$dir/data.mdb" ]; then
  top=\${domain%%.*}
  printf 'dn: %s\\nobjectClass: dcObject\\nobjectClass: organization\\no: %s\\ndc: %s\\n\\ndn: ou=people,%s\\nobjectClass: organizationalUnit\\nou: people\\n\\ndn: ou=groups,%s\\nobjectClass: organizationalUnit\\nou: groups\\n' \\
    "$suffix" "$domain" "$top" "$suffix" "$suffix" | slapadd -f /run/slapd/slapd.conf
fi
chown -R openldap:openldap "$dir" /run/slapd
slapd -h "ldap:///" -f /run/slapd/slapd.conf -u openldap -g openldap`,
    stop: '[ -f /run/slapd/slapd.pid ] && kill "$(cat /run/slapd/slapd.pid)"',
  });
  panelFragment(
    tree,
    '50-slapd',
    `suffix=$(sed -n 's/^suffix "\\(.*\\)"/\\1/p' /run/slapd/slapd.conf)
echo "<h2>OpenLDAP</h2><p>Base DN <code>$suffix</code>; administrator <code>cn=admin,$suffix</code>$(grep -q '^rootpw' /run/slapd/slapd.conf || echo ' (no password set: read-only)')</p><h3>Entries</h3><pre>"
slapcat -f /run/slapd/slapd.conf 2>/dev/null | sed -n 's/^dn: //p' | head -n 50 | ${ESCAPE}
echo "</pre>"`,
  );
  return tree;
}
