import { isIP } from 'node:net';
import { AgentError } from '../errors/AgentError';
import { CertificateAuthority } from './createCertificateAuthority';
import {
  keyAlgorithm,
  privateKeyFromPem,
  randomSerial,
  x509,
} from './x509Provider';

export interface SignCertificateRequestOptions {
  ca: CertificateAuthority;
  /** PEM PKCS#10 request; only its public key is used. */
  csr: string;
  /** Common name, and the first DNS name. */
  name: string;
  /** Further DNS names or IP addresses (IPs detected). The request's own SANs are ignored. */
  sans?: string[];
  /** URI subject alternative names, e.g. an identity the caller checks later. */
  uris?: string[];
  validDays?: number;
}

/**
 * Signs an agent's certificate for the key in a certificate request: serverAuth
 * for its API and clientAuth for calling a peer agent (migration). The signer
 * decides everything in it but the public key: subject, names and extensions
 * never come from the request, so the requester cannot choose who it claims to be.
 */
export async function signCertificateRequest(
  options: SignCertificateRequestOptions,
): Promise<string> {
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(options.csr);
  } catch {
    throw new AgentError(
      'INVALID_REQUEST',
      'csr is not a PEM PKCS#10 certificate request',
    );
  }
  if (!(await request.verify())) {
    throw new AgentError(
      'INVALID_REQUEST',
      'The certificate request is not signed by its own key',
    );
  }
  const sans = options.sans ?? [];
  const dnsNames = [...new Set([options.name, ...sans.filter(s => !isIP(s))])];
  const ips = [...new Set(sans.filter(s => isIP(s)))];
  const caCert = new x509.X509Certificate(options.ca.cert);
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${options.name}`,
    issuer: caCert.subject,
    notBefore,
    notAfter: new Date(
      notBefore.getTime() + (options.validDays ?? 397) * 86_400_000,
    ),
    signingAlgorithm: keyAlgorithm,
    publicKey: await request.publicKey.export(),
    signingKey: await privateKeyFromPem(options.ca.key),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      new x509.SubjectAlternativeNameExtension(
        [
          ...dnsNames.map(value => ({ type: 'dns' as const, value })),
          ...ips.map(value => ({ type: 'ip' as const, value })),
          ...(options.uris ?? []).map(value => ({
            type: 'url' as const,
            value,
          })),
        ],
        false,
      ),
    ],
  });
  return cert.toString('pem');
}
