import { isIP } from 'node:net';
import os from 'node:os';
import { keyAlgorithm, subtle, x509 } from '../pki/x509Provider';

/** The name the CSR carries; the backend names the certificate after the registered host anyway. */
function subjectName(agentHost?: string): string {
  const candidates = [agentHost, os.hostname()];
  return (
    candidates.find(
      c => c && !isIP(c) && /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(c),
    ) ?? 'tempest-agent'
  );
}

/** Makes this host's key pair (the private key never leaves it) and a PKCS#10 request for it. */
export async function createEnrolmentCsr(agentHost?: string) {
  const keys = (await subtle.generateKey(keyAlgorithm, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const sans: x509.JsonGeneralName[] = agentHost
    ? [{ type: isIP(agentHost) ? 'ip' : 'dns', value: agentHost }]
    : [];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${subjectName(agentHost)}`,
    keys,
    signingAlgorithm: keyAlgorithm,
    extensions: [
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      ...(sans.length
        ? [new x509.SubjectAlternativeNameExtension(sans, false)]
        : []),
    ],
  });
  const publicKeySpki = Buffer.from(
    await subtle.exportKey('spki', keys.publicKey),
  );
  return { keys, csr, publicKeySpki };
}
