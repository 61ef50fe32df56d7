import { X509Certificate } from 'node:crypto';
import { EnrolmentError } from './EnrolmentError';
import { EnrolResponse } from './parseEnrolResponse';

function spkiOf(cert: X509Certificate): Buffer {
  return cert.publicKey.export({ type: 'spki', format: 'der' });
}

/** Checks the issued certificate carries our public key and is signed by the returned CA. */
export function checkIssuedCertificate(
  response: EnrolResponse,
  publicKeySpki: Buffer,
): void {
  const mismatch = (message: string) =>
    new EnrolmentError('CERTIFICATE_MISMATCH', message);
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(response.cert);
  } catch {
    throw mismatch('The backend returned a certificate that cannot be parsed');
  }
  try {
    ca = new X509Certificate(response.caCert);
  } catch {
    throw mismatch(
      'The backend returned a CA certificate that cannot be parsed',
    );
  }
  if (!spkiOf(cert).equals(publicKeySpki)) {
    throw mismatch(
      'The certificate the backend issued does not match the key generated here; nothing was written',
    );
  }
  if (!ca.ca || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw mismatch(
      "The certificate the backend issued is not signed by the backend's CA; nothing was written",
    );
  }
  const now = Date.now();
  if (
    new Date(cert.validFrom).getTime() > now + 5 * 60_000 ||
    new Date(cert.validTo).getTime() < now
  ) {
    throw mismatch(
      `The certificate the backend issued is not valid now (${cert.validFrom} – ${cert.validTo})`,
    );
  }
}
