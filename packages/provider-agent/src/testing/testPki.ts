import fs from 'node:fs/promises';
import path from 'node:path';
import {
  CertificateAuthority,
  createCertificateAuthority,
} from '../pki/createCertificateAuthority';
import { issueCertificate } from '../pki/issueCertificate';
import { writeCertificate, writePrivateKey } from '../pki/pemFiles';

/**
 * A CA with a server certificate for the agent and a client certificate for
 * its caller. With `hostId` the agent's certificate is an enrolled agent's
 * (server and client, naming `urn:tempest:host:<hostId>`); with `ca` several
 * agents share one CA, as the backend's do.
 */
export async function createTestPki(
  dir: string,
  options: { ca?: CertificateAuthority; hostId?: string } = {},
) {
  const ca = options.ca ?? (await createCertificateAuthority());
  const server = await issueCertificate({
    ca,
    kind: options.hostId ? 'agent' : 'server',
    name: 'localhost',
    ...(options.hostId
      ? {
          sans: [
            'localhost',
            '127.0.0.1',
            `URI:urn:tempest:host:${options.hostId}`,
          ],
        }
      : {}),
  });
  const client = await issueCertificate({
    ca,
    kind: 'client',
    name: 'tempest-backend',
  });
  await writeCertificate(path.join(dir, 'ca.crt'), ca.cert);
  await writeCertificate(path.join(dir, 'server.crt'), server.cert);
  await writePrivateKey(path.join(dir, 'server.key'), server.key);
  await fs.mkdir(dir, { recursive: true });
  return {
    ca,
    server,
    client,
    files: {
      ca: path.join(dir, 'ca.crt'),
      cert: path.join(dir, 'server.crt'),
      key: path.join(dir, 'server.key'),
    },
  };
}
