import {
  keyAlgorithm,
  privateKeyToPem,
  randomSerial,
  subtle,
  x509,
} from './x509Provider';

export interface CertificateAuthority {
  /** PEM certificate of the CA. */
  cert: string;
  /** PEM (PKCS#8) private key of the CA. */
  key: string;
}

export interface CreateCaOptions {
  commonName?: string;
  validDays?: number;
}

/** Creates a self-signed CA that issues the controller's and each agent's certificate. */
export async function createCertificateAuthority(
  options: CreateCaOptions = {},
): Promise<CertificateAuthority> {
  const keys = (await subtle.generateKey(keyAlgorithm, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(
    notBefore.getTime() + (options.validDays ?? 3650) * 86_400_000,
  );
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${options.commonName ?? 'Tempest local CA'}`,
    notBefore,
    notAfter,
    signingAlgorithm: keyAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert: cert.toString('pem'),
    key: await privateKeyToPem(keys.privateKey),
  };
}
