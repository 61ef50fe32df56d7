import fs from 'node:fs/promises';
import path from 'node:path';
import { createCertificateAuthority } from '../pki/createCertificateAuthority';
import { issueCertificate } from '../pki/issueCertificate';
import { writeCertificate, writePrivateKey } from '../pki/pemFiles';

/** A CA with a server certificate for the agent and a client certificate for its caller. */
export async function createTestPki(dir: string) {
  const ca = await createCertificateAuthority();
  const server = await issueCertificate({
    ca,
    kind: 'server',
    name: 'localhost',
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
