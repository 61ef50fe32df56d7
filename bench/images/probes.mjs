// Protocol probes: does the service behind host:port answer as its kind of server?
// Each resolves with a short description of the answer or rejects.
import dgram from 'node:dgram';
import net from 'node:net';

/** GET a page and expect it to name the instance. */
export async function http(host, port, expect, path = '/') {
  const res = await fetch(`http://${host}:${port}${path}`, {
    signal: AbortSignal.timeout(2000),
  });
  const body = await res.text();
  if (!res.ok || (expect && !body.includes(expect)))
    throw new Error(`HTTP ${res.status}`);
  return `HTTP ${res.status}, ${body.length} bytes`;
}

/** Reads lines from a TCP conversation: send, then wait for a line matching. */
function conversation(host, port, steps) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
    let buffer = '';
    let step = 0;
    const answers = [];
    socket.on('data', chunk => {
      buffer += chunk.toString('latin1');
      while (step < steps.length && steps[step].expect.test(buffer)) {
        answers.push(buffer.trim().split('\r\n')[0]);
        buffer = '';
        step++;
        if (step === steps.length) {
          socket.end();
          resolve(answers.join(' | '));
          return;
        }
        socket.write(steps[step].send);
      }
    });
    socket.on('connect', () => steps[0].send && socket.write(steps[0].send));
    socket.on('error', reject);
    socket.on(
      'close',
      () => step < steps.length && reject(new Error('closed early')),
    );
  });
}

/** The SMTP greeting, then EHLO. */
export const smtp = (host, port) =>
  conversation(host, port, [
    { expect: /^220 .*\r\n/ },
    { send: 'EHLO probe.tempest.invalid\r\n', expect: /^250 .*\r\n/m },
  ]).then(a => `${a.split(' | ')[0]}`);

/** Redis PING: PONG, or the refusal of a protected or password-protected server (RESP either way). */
export const redis = (host, port) =>
  conversation(host, port, [
    { send: 'PING\r\n', expect: /^(\+PONG|-DENIED|-NOAUTH)[^\r]*\r\n/ },
  ]);

/** An LDAP anonymous bind (RFC 4511) answered with success. */
export function ldap(host, port) {
  const bind = Buffer.from([
    0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00,
    0x80, 0x00,
  ]);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => socket.write(bind));
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
    socket.on('data', b => {
      socket.end();
      // BindResponse (0x61) with resultCode 0.
      const at = b.indexOf(0x61);
      if (at > 0 && b.includes(Buffer.from([0x0a, 0x01, 0x00]), at))
        resolve('LDAP bind: success');
      else reject(new Error(`unexpected LDAP answer ${b.toString('hex')}`));
    });
    socket.on('error', reject);
  });
}

/** A DNS query for `name` (A) over UDP, answered with at least one address. */
export function dns(host, port, name) {
  const id = Math.floor(Math.random() * 65535);
  const labels = name.split('.').filter(Boolean);
  const q = Buffer.concat([
    Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels.map(l =>
      Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]),
    ),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no DNS answer'));
    }, 2000);
    socket.on('message', m => {
      clearTimeout(timer);
      socket.close();
      const answers = m.readUInt16BE(6);
      if (m.readUInt16BE(0) === id && (m[3] & 15) === 0 && answers > 0) {
        const ip = [...m.subarray(m.length - 4)].join('.');
        resolve(`DNS ${name} A ${ip}`);
      } else reject(new Error(`DNS rcode ${m[3] & 15}, ${answers} answers`));
    });
    socket.send(q, port, host);
  });
}

/** A TCP connection is accepted. */
export const tcp = (host, port) =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => {
      socket.end();
      resolve(`TCP ${port} open`);
    });
    socket.setTimeout(2000, () => socket.destroy(new Error('timed out')));
    socket.on('error', reject);
  });
