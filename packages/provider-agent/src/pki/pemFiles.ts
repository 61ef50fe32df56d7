import fs from 'node:fs/promises';
import path from 'node:path';

/** Writes a private key readable by its owner only (0600), even if the file existed. */
export async function writePrivateKey(
  file: string,
  pem: string,
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, pem, { mode: 0o600, flag: 'wx' });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}

export async function writeCertificate(
  file: string,
  pem: string,
): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, pem, { mode: 0o644 });
}

export async function readCertificateAuthority(dir: string) {
  const [cert, key] = await Promise.all([
    fs.readFile(path.join(dir, 'ca.crt'), 'utf8'),
    fs.readFile(path.join(dir, 'ca.key'), 'utf8'),
  ]);
  return { cert, key };
}
