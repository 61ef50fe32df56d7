import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority } from './createCertificateAuthority';
import { issueCertificate } from './issueCertificate';
import { writePrivateKey } from './pemFiles';
import { signCertificateRequest } from './signCertificateRequest';
import { keyAlgorithm, subtle, x509 } from './x509Provider';

describe('certificates', () => {
  it('issues server and client certificates that verify against the CA only', async () => {
    const ca = await createCertificateAuthority();
    const other = await createCertificateAuthority({ commonName: 'Other' });
    const server = await issueCertificate({
      ca,
      kind: 'server',
      name: 'host-1',
      sans: ['IP:10.0.0.5'],
    });
    const client = await issueCertificate({
      ca,
      kind: 'client',
      name: 'tempest-backend',
    });

    const caX = new X509Certificate(ca.cert);
    const serverX = new X509Certificate(server.cert);
    const clientX = new X509Certificate(client.cert);
    expect(caX.ca).toBe(true);
    expect(serverX.verify(caX.publicKey)).toBe(true);
    expect(clientX.verify(caX.publicKey)).toBe(true);
    expect(serverX.verify(new X509Certificate(other.cert).publicKey)).toBe(
      false,
    );
    expect(serverX.subjectAltName).toContain('DNS:host-1');
    expect(serverX.subjectAltName).toContain('IP Address:10.0.0.5');
    expect(serverX.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(clientX.keyUsage).toContain('1.3.6.1.5.5.7.3.2');
    expect(clientX.subject).toContain('CN=tempest-backend');
  });

  it("issues an agent's certificate for both ends of mutual TLS, keeping its host URI, from a key or a CSR", async () => {
    const ca = await createCertificateAuthority();
    const agent = new X509Certificate(
      (
        await issueCertificate({
          ca,
          kind: 'agent',
          name: 'host-1',
          sans: ['127.0.0.1', 'URI:urn:tempest:host:h-1'],
        })
      ).cert,
    );
    expect(agent.keyUsage).toEqual(
      expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
    );
    expect(agent.subjectAltName).toContain('DNS:host-1');
    expect(agent.subjectAltName).toContain('URI:urn:tempest:host:h-1');

    const { privateKey, publicKey } = await subtle.generateKey(
      keyAlgorithm,
      true,
      ['sign', 'verify'],
    );
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=ignored',
      keys: { privateKey, publicKey },
      signingAlgorithm: keyAlgorithm,
    });
    const signed = new X509Certificate(
      await signCertificateRequest({
        ca,
        csr: csr.toString('pem'),
        name: 'host-2',
        uris: ['urn:tempest:host:h-2'],
      }),
    );
    expect(signed.keyUsage).toEqual(
      expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']),
    );
    expect(signed.subjectAltName).toContain('URI:urn:tempest:host:h-2');
  });

  it('rejects names that are not host-like', async () => {
    const ca = await createCertificateAuthority();
    await expect(
      issueCertificate({ ca, kind: 'client', name: 'a/b' }),
    ).rejects.toMatchObject({
      code: 'INVALID_NAME',
    });
  });

  it('writes private keys with mode 0600', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pki-'));
    const file = path.join(dir, 'k', 'x.key');
    await writePrivateKey(file, 'secret');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await writePrivateKey(file, 'secret2'); // overwriting keeps the mode
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    await fs.rm(dir, { recursive: true });
  });
});
