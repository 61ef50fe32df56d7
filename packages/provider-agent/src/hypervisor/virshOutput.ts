import { AgentError } from '../errors/AgentError';
import { CommandFailedError } from '../exec/runCommand';

// What virsh prints, read: errors as stable codes, fields, addresses, displays.

/** The unix socket a libvirt URI connects through: its `socket=` or libvirt's default for the system daemon. */
export function libvirtSocketOf(uri: string): string | undefined {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '';
  const socket = new URLSearchParams(query).get('socket');
  if (socket) return socket;
  if (/^[a-z0-9]+(\+unix)?:\/\/\/system$/.test(uri))
    return '/run/libvirt/libvirt-sock';
  return undefined;
}

/**
 * `virsh vncdisplay` prints `127.0.0.1:0` (display 0 is port 5900); only a
 * loopback display is accepted, so a domain defined elsewhere with a public
 * listener is never proxied.
 */
export function parseVncDisplay(
  out: string,
): { host: string; port: number } | undefined {
  const match = /^(127\.0\.0\.1|localhost|\[::1\]|::1)?:(\d+)$/.exec(
    out.trim(),
  );
  if (!match) return undefined;
  const port = 5900 + Number(match[2]);
  return port <= 65535 ? { host: '127.0.0.1', port } : undefined;
}

export function mapVirshError(e: unknown): AgentError {
  if (!(e instanceof CommandFailedError)) return e as AgentError;
  const text = e.stderr
    .replace(/\s+/g, ' ')
    .replace(/^error: /, '')
    .trim();
  if (
    /failed to get domain|domain not found|no domain with matching/i.test(text)
  ) {
    return new AgentError('UNKNOWN_DOMAIN', text, { cause: e });
  }
  if (/already exists/i.test(text))
    return new AgentError('DOMAIN_EXISTS', text, { cause: e });
  if (
    /already active|already running|not running|not paused|is not active|operation is not valid/i.test(
      text,
    )
  ) {
    return new AgentError('DOMAIN_STATE_CONFLICT', text, { cause: e });
  }
  return new AgentError(
    'HYPERVISOR_ERROR',
    `virsh ${e.args.slice(3, 4).join(' ')}: ${text}`,
    { cause: e },
  );
}

/**
 * `virsh domifaddr` rows (` vnet0  52:54:00:..  ipv4  192.168.122.5/24`);
 * a NIC's further addresses repeat `-` for its name and MAC.
 */
export function parseDomifaddr(
  out: string,
): Array<{ mac: string; address: string }> {
  const rows: Array<{ mac: string; address: string }> = [];
  let mac: string | undefined;
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || !/^ipv[46]$/.test(cols[2])) continue;
    if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(cols[1]))
      mac = cols[1].toLowerCase();
    else if (cols[1] !== '-') continue;
    if (!mac) continue;
    rows.push({ mac, address: cols[3].replace(/\/\d+$/, '') });
  }
  return rows;
}

export function parseFields(out: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) fields[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return fields;
}

export function parseKiB(value: string | undefined): number {
  const match = /^(\d+)\s*KiB$/.exec(value ?? '');
  return match ? Number(match[1]) : 0;
}
