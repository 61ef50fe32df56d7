import dgram from 'node:dgram';

/**
 * Asks `server` over UDP for the A records of `name` (a raw RFC 1035 query:
 * dig is not on the test machine) and resolves with the addresses answered.
 */
export function queryA(
  server: string,
  name: string,
  timeoutMs = 2000,
): Promise<string[]> {
  const id = Math.floor(Math.random() * 65535);
  const question = Buffer.concat([
    ...name
      .split('.')
      .filter(Boolean)
      .map(l => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0, 0, 1, 0, 1]), // root, type A, class IN
  ]);
  const header = Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no DNS answer from ${server}`));
    }, timeoutMs);
    socket.on('message', m => {
      clearTimeout(timer);
      socket.close();
      if (m.readUInt16BE(0) !== id) return reject(new Error('wrong DNS id'));
      const rcode = m[3] & 15;
      if (rcode !== 0) return reject(new Error(`DNS rcode ${rcode}`));
      // Skip the header and the echoed question, then read each answer.
      let at = 12 + question.length;
      const addresses: string[] = [];
      for (let i = 0; i < m.readUInt16BE(6); i++) {
        at += (m[at] & 0xc0) === 0xc0 ? 2 : skipName(m, at);
        const type = m.readUInt16BE(at);
        const length = m.readUInt16BE(at + 8);
        if (type === 1 && length === 4)
          addresses.push([...m.subarray(at + 10, at + 14)].join('.'));
        at += 10 + length;
      }
      return resolve(addresses);
    });
    socket.on('error', e => {
      clearTimeout(timer);
      reject(e);
    });
    socket.send(Buffer.concat([header, question]), 53, server);
  });
}

function skipName(m: Buffer, start: number): number {
  let at = start;
  while (m[at] !== 0) {
    if ((m[at] & 0xc0) === 0xc0) return at + 2 - start;
    at += m[at] + 1;
  }
  return at + 1 - start;
}

// Run in the guests' network namespace: `node -r sucrase/register dnsQuery.ts SERVER NAME`.
if (require.main === module) {
  queryA(process.argv[2], process.argv[3]).then(
    a => process.stdout.write(`${a.join(' ')}\n`),
    e => {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
