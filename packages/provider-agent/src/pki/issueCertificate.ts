import { isIP } from 'node:net';
import { AgentError } from '../errors/AgentError';
import { CertificateAuthority } from './createCertificateAuthority';
import {
  keyAlgorithm,
  privateKeyFromPem,
  privateKeyToPem,
  randomSerial,
  subtle,
  x509,
} from './x509Provider';

/**
 * `server`: serverAuth only; `client`: clientAuth only (the backend);
 * `agent`: both, so an agent serves the API and calls a peer agent (migration).
 */
export type CertificateKind = 'server' | 'client' | 'agent';

export interface IssueCertificateOptions {
  ca: CertificateAuthority;
  kind: CertificateKind;
  /** Common name: the host name for a server, the caller's identity for a client. */
  name: string;
  /** Subject alternative names: `DNS:x`, `IP:1.2.3.4`, `URI:urn:x`, or bare values (IPs detected). */
  sans?: string[];
  validDays?: number;
}

export interface IssuedCertificate {
  cert: string;
  key: string;
}

const COMMON_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

function parseSan(value: string): {
  type: 'dns' | 'ip' | 'url';
  value: string;
} {
  const uri = /^URI:(urn:[A-Za-z0-9:._-]{1,200})$/i.exec(value);
  if (uri) return { type: 'url', value: uri[1] };
  const match = /^(DNS|IP):(.+)$/i.exec(value);
  const raw = match ? match[2] : value;
  let type: 'dns' | 'ip' = isIP(raw) ? 'ip' : 'dns';
  if (match) type = match[1].toLowerCase() as 'dns' | 'ip';
  if (type === 'ip' ? !isIP(raw) : !/^(\*\.)?[A-Za-z0-9.-]{1,253}$/.test(raw)) {
    throw new AgentError(
      'INVALID_REQUEST',
      `Invalid subject alternative name ${JSON.stringify(value)}`,
    );
  }
  return { type, value: raw };
}

/** Issues a server or client certificate signed by the CA; the key never leaves the caller. */
export async function issueCertificate(
  options: IssueCertificateOptions,
): Promise<IssuedCertificate> {
  if (!COMMON_NAME.test(options.name)) {
    throw new AgentError(
      'INVALID_NAME',
      `Invalid certificate name ${JSON.stringify(options.name)}`,
    );
  }
  const caCert = new x509.X509Certificate(options.ca.cert);
  const caKey = await privateKeyFromPem(options.ca.key);
  const keys = (await subtle.generateKey(keyAlgorithm, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;

  let sans = (options.sans ?? []).map(parseSan);
  if (options.kind !== 'client') {
    const defaults = sans.length ? [] : ['localhost', '127.0.0.1', '::1'];
    sans = [
      { type: 'dns' as const, value: options.name },
      ...defaults.map(parseSan),
      ...sans,
    ];
  }
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(
    notBefore.getTime() + (options.validDays ?? 825) * 86_400_000,
  );
  const usages = {
    server: [x509.ExtendedKeyUsage.serverAuth],
    client: [x509.ExtendedKeyUsage.clientAuth],
    agent: [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
  }[options.kind];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
      true,
    ),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (sans.length)
    extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${options.name}`,
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: keyAlgorithm,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  return {
    cert: cert.toString('pem'),
    key: await privateKeyToPem(keys.privateKey),
  };
}
