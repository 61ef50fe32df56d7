import fs from 'node:fs/promises';
import path from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  CertificateAuthority,
  createCertificateAuthority,
  isAgentError,
  issueCertificate,
  signCertificateRequest,
  writeCertificate,
  writePrivateKey,
} from '@tempest/provider-agent';

export type IssuedAgentCertificate = {
  cert: string;
  key?: string;
  fingerprint: string;
};

const AGENT_CERT_DAYS = 397;

/**
 * The backend's CA: it signs each enrolled agent's server certificate and the
 * backend's own client certificate, so agents and backend trust each other
 * through one root. Kept under `<dataDir>/pki`, created on first start.
 */
export class BackendPki {
  private constructor(
    readonly ca: CertificateAuthority,
    readonly client: { cert: string; key: string },
  ) {}

  static async open(
    dataDir: string,
    logger: LoggerService,
  ): Promise<BackendPki> {
    const dir = path.join(dataDir, 'pki');
    const file = (name: string) => path.join(dir, name);
    let ca: CertificateAuthority;
    try {
      ca = {
        cert: await fs.readFile(file('ca.crt'), 'utf8'),
        key: await fs.readFile(file('ca.key'), 'utf8'),
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      ca = await createCertificateAuthority({
        commonName: 'Tempest backend CA',
      });
      await writePrivateKey(file('ca.key'), ca.key);
      await writeCertificate(file('ca.crt'), ca.cert);
      logger.info(`Created the agent CA in ${dir}`);
    }
    let client: { cert: string; key: string };
    try {
      client = {
        cert: await fs.readFile(file('backend-client.crt'), 'utf8'),
        key: await fs.readFile(file('backend-client.key'), 'utf8'),
      };
      const x = new X509Certificate(client.cert);
      const expiresSoon =
        new Date(x.validTo).getTime() < Date.now() + 7 * 86_400_000;
      if (expiresSoon || !x.verify(new X509Certificate(ca.cert).publicKey)) {
        throw Object.assign(new Error('renew'), { code: 'ENOENT' });
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      client = await issueCertificate({
        ca,
        kind: 'client',
        name: 'tempest-backend',
      });
      await writePrivateKey(file('backend-client.key'), client.key);
      await writeCertificate(file('backend-client.crt'), client.cert);
    }
    return new BackendPki(ca, client);
  }

  /** An in-memory CA, for tests. */
  static async ephemeral(): Promise<BackendPki> {
    const ca = await createCertificateAuthority({
      commonName: 'Tempest test CA',
    });
    const client = await issueCertificate({
      ca,
      kind: 'client',
      name: 'tempest-backend',
    });
    return new BackendPki(ca, client);
  }

  /**
   * Issues an agent's certificate (server and client: agents call each other to migrate disks). With a CSR (PEM PKCS#10) the agent
   * keeps its private key; without one a key is made and returned once.
   */
  async issueAgentCertificate(options: {
    name: string;
    /** Written into the certificate as `urn:tempest:host:<id>`. */
    hostId: string;
    sans: string[];
    csr?: string;
  }): Promise<IssuedAgentCertificate> {
    const identity = hostIdentityUri(options.hostId);
    if (!options.csr) {
      const issued = await issueCertificate({
        ca: this.ca,
        kind: 'agent',
        name: options.name,
        sans: [options.name, ...options.sans, `URI:${identity}`],
        validDays: AGENT_CERT_DAYS,
      });
      return { ...issued, fingerprint: fingerprint(issued.cert) };
    }
    let pem: string;
    try {
      pem = await signCertificateRequest({
        ca: this.ca,
        csr: options.csr,
        name: options.name,
        sans: ['localhost', '127.0.0.1', ...options.sans],
        uris: [identity],
        validDays: AGENT_CERT_DAYS,
      });
    } catch (e) {
      if (isAgentError(e)) throw new InputError(e.message);
      throw e;
    }
    return { cert: pem, fingerprint: fingerprint(pem) };
  }
}

/** The host a certificate was issued to, as a URI subject alternative name. */
export function hostIdentityUri(hostId: string): string {
  return `urn:tempest:host:${hostId}`;
}

export function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
