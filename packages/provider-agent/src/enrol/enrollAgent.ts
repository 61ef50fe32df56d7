import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { errors, request } from 'undici';
import YAML from 'yaml';
import { validateConfig, defaultConfig } from '../config/AgentConfig';
import { writeCertificate, writePrivateKey } from '../pki/pemFiles';
import {
  keyAlgorithm,
  privateKeyToPem,
  subtle,
  x509,
} from '../pki/x509Provider';

/** Why an enrolment failed; `exitCode` is what `tempest-agent enroll` exits with. */
export type EnrolmentErrorCode =
  /** Bad flags or paths; nothing was sent. */
  | 'INVALID_REQUEST'
  /** The backend refused (4xx): unknown, used or expired token, or a bad request. */
  | 'ENROLMENT_REFUSED'
  /** The backend could not be reached, timed out, failed (5xx) or answered nonsense. */
  | 'BACKEND_UNREACHABLE'
  /** The certificate returned does not match the local key or is not signed by the CA. */
  | 'CERTIFICATE_MISMATCH';

export const enrolmentExitCodes: Record<EnrolmentErrorCode, number> = {
  INVALID_REQUEST: 1,
  ENROLMENT_REFUSED: 2,
  BACKEND_UNREACHABLE: 3,
  CERTIFICATE_MISMATCH: 4,
};

export class EnrolmentError extends Error {
  readonly exitCode: number;
  constructor(
    readonly code: EnrolmentErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EnrolmentError';
    this.exitCode = enrolmentExitCodes[code];
  }
}

export interface EnrollAgentOptions {
  /** The backend's enrolment URL, as printed at registration (`POST` target). */
  url: string;
  /** The one-time enrolment token. */
  token: string;
  /** Agent data directory; certificates go into its `tls/` folder. */
  dataDir?: string;
  /** Where the backend reaches this agent (`https://host:port`); its host becomes a SAN. */
  agentUrl?: string;
  /** Agent config file to write (default `<dataDir>/agent.yaml`). */
  configFile?: string;
  /** Driver written into the config (default: the agent's default, libvirt). */
  driver?: 'libvirt' | 'simulated';
  /** Replace an existing enrolment's files. */
  force?: boolean;
  /** Request timeout (default 30 s). */
  timeoutMs?: number;
}

export interface EnrolmentOutcome {
  hostId: string;
  name: string;
  configFile: string;
  files: { ca: string; cert: string; key: string };
  heartbeatUrl: string;
}

interface EnrolResponse {
  hostId: string;
  name: string;
  caCert: string;
  cert: string;
  key?: string;
  heartbeatUrl: string;
  heartbeatToken: string;
  heartbeatIntervalSeconds: number;
  /** The host's registered agent URL, if the backend says (used when `--agent-url` is not given). */
  agentUrl?: string;
}

const invalid = (message: string) =>
  new EnrolmentError('INVALID_REQUEST', message);

function parseHttpUrl(value: string, what: string, schemes: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${what} ${JSON.stringify(value)} is not a URL`);
  }
  if (!schemes.includes(url.protocol)) {
    throw invalid(
      `${what} must be an ${schemes.map(s => s.replace(':', '')).join(' or ')} URL, not ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw invalid(`${what} must not carry credentials`);
  }
  return url;
}

function checkPath(value: string, what: string): string {
  if (!value || value.includes('\0') || value.length > 4096) {
    throw invalid(`${what} ${JSON.stringify(value)} is not a usable path`);
  }
  return path.resolve(value);
}

async function assertDirectoryOrAbsent(dir: string, what: string) {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (stat && !stat.isDirectory())
    throw invalid(`${what} ${dir} is not a directory`);
}

/** The name the CSR carries; the backend names the certificate after the registered host anyway. */
function subjectName(agentHost?: string): string {
  const candidates = [agentHost, os.hostname()];
  return (
    candidates.find(
      c => c && !isIP(c) && /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(c),
    ) ?? 'tempest-agent'
  );
}

function errorMessageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    const message = parsed?.error?.message ?? parsed?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return body.trim() ? body.trim().slice(0, 500) : undefined;
  }
}

function parseResponse(body: string): EnrolResponse {
  let parsed: any;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new EnrolmentError(
      'BACKEND_UNREACHABLE',
      'The backend answered the enrolment with something that is not JSON',
    );
  }
  const strings = [
    'hostId',
    'name',
    'caCert',
    'cert',
    'heartbeatUrl',
    'heartbeatToken',
  ];
  const missing = strings.filter(
    k => typeof parsed?.[k] !== 'string' || !parsed[k],
  );
  if (!(
    Number.isInteger(parsed?.heartbeatIntervalSeconds) &&
    parsed.heartbeatIntervalSeconds > 0
  )) {
    missing.push('heartbeatIntervalSeconds');
  }
  if (missing.length) {
    throw new EnrolmentError(
      'BACKEND_UNREACHABLE',
      `The backend's enrolment answer lacks ${missing.join(', ')}`,
    );
  }
  if (!/^https?:\/\//.test(parsed.heartbeatUrl)) {
    throw new EnrolmentError(
      'BACKEND_UNREACHABLE',
      `The backend's heartbeat URL ${JSON.stringify(parsed.heartbeatUrl)} is not http(s)`,
    );
  }
  return parsed as EnrolResponse;
}

function spkiOf(cert: X509Certificate): Buffer {
  return cert.publicKey.export({ type: 'spki', format: 'der' });
}

/** Checks the issued certificate carries our public key and is signed by the returned CA. */
function checkCertificate(
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

/**
 * Enrols this host with a Tempest backend: makes a key pair here (the private
 * key never leaves the host), sends a PKCS#10 request with the one-time token,
 * checks the certificate that comes back, and writes the CA certificate, the
 * certificate, the key (0600) and an agent config `serve --config` reads.
 */
export async function enrollAgent(
  options: EnrollAgentOptions,
): Promise<EnrolmentOutcome> {
  const enrolUrl = parseHttpUrl(options.url, 'The enrolment URL', [
    'http:',
    'https:',
  ]);
  const token = options.token?.trim() ?? '';
  if (!/^[\x21-\x7e]{16,128}$/.test(token)) {
    throw invalid(
      'The enrolment token must be 16–128 printable characters, as printed at registration',
    );
  }
  const agentUrl = options.agentUrl
    ? parseHttpUrl(options.agentUrl, 'The agent URL', ['https:'])
    : undefined;
  const agentHost = agentUrl?.hostname.replace(/^\[|\]$/g, '');
  const dataDir = checkPath(
    options.dataDir ?? defaultConfig.dataDir,
    'The data directory',
  );
  const configFile = checkPath(
    options.configFile ?? path.join(dataDir, 'agent.yaml'),
    'The config file',
  );
  const tlsDir = path.join(dataDir, 'tls');
  const files = {
    ca: path.join(tlsDir, 'ca.crt'),
    cert: path.join(tlsDir, 'agent.crt'),
    key: path.join(tlsDir, 'agent.key'),
  };

  // Everything that could stop the files being written is checked before the
  // token is spent.
  await assertDirectoryOrAbsent(dataDir, 'The data directory');
  await assertDirectoryOrAbsent(tlsDir, 'The tls directory');
  if ((await fs.stat(configFile).catch(() => undefined))?.isDirectory()) {
    throw invalid(`The config file ${configFile} is a directory`);
  }
  if (!options.force) {
    for (const file of [files.key, files.cert, configFile]) {
      if (await fs.stat(file).catch(() => undefined)) {
        throw invalid(
          `${file} exists: this host looks enrolled already; pass --force to replace it`,
        );
      }
    }
  }
  for (const dir of [tlsDir, path.dirname(configFile)]) {
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.access(dir, fs.constants.W_OK);
    } catch (e) {
      throw invalid(`Cannot write to ${dir}: ${(e as Error).message}`);
    }
  }

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

  let status: number;
  let body: string;
  try {
    const response = await request(enrolUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        token,
        csr: csr.toString('pem'),
        ...(agentUrl
          ? { agentUrl: agentUrl.toString().replace(/\/$/, '') }
          : {}),
      }),
      headersTimeout: options.timeoutMs ?? 30_000,
      bodyTimeout: options.timeoutMs ?? 30_000,
    });
    status = response.statusCode;
    body = await response.body.text();
  } catch (e) {
    const reason =
      e instanceof errors.HeadersTimeoutError ||
      e instanceof errors.BodyTimeoutError
        ? 'it did not answer in time'
        : ((e as NodeJS.ErrnoException).code ?? (e as Error).message);
    throw new EnrolmentError(
      'BACKEND_UNREACHABLE',
      `Cannot reach the backend at ${enrolUrl.origin}: ${reason}`,
    );
  }
  if (status >= 400 && status < 500) {
    throw new EnrolmentError(
      'ENROLMENT_REFUSED',
      `The backend refused the enrolment (${status}): ${errorMessageOf(body) ?? 'no reason given'}`,
      status,
    );
  }
  if (status !== 200) {
    throw new EnrolmentError(
      'BACKEND_UNREACHABLE',
      `The backend failed the enrolment (${status}): ${errorMessageOf(body) ?? 'no reason given'}`,
      status,
    );
  }
  const enrolled = parseResponse(body);
  checkCertificate(enrolled, publicKeySpki);

  // Without --agent-url the registered URL (if the backend returns it) decides
  // the port; with neither, listen everywhere on the default port and let the
  // backend keep the URL it was registered with.
  let advertised = agentUrl;
  if (!advertised && typeof enrolled.agentUrl === 'string') {
    try {
      const registered = new URL(enrolled.agentUrl);
      if (registered.protocol === 'https:') advertised = registered;
    } catch {
      // not a URL: ignore it
    }
  }
  const advertisedHost = advertised?.hostname.replace(/^\[|\]$/g, '');
  const listenPort = advertised
    ? Number(advertised.port || 443)
    : defaultConfig.listen.port;
  const loopback =
    !!advertisedHost &&
    (advertisedHost === 'localhost' || /^127\.|^::1$/.test(advertisedHost));
  const config = {
    name: enrolled.name,
    ...(advertised
      ? { agentUrl: advertised.toString().replace(/\/$/, '') }
      : {}),
    dataDir,
    ...(options.driver ? { driver: options.driver } : {}),
    listen: { host: loopback ? '127.0.0.1' : '0.0.0.0', port: listenPort },
    tls: files,
    backend: {
      heartbeatUrl: enrolled.heartbeatUrl,
      heartbeatIntervalSeconds: enrolled.heartbeatIntervalSeconds,
      token: enrolled.heartbeatToken,
    },
  };
  try {
    validateConfig({
      ...defaultConfig,
      ...config,
      backend: config.backend,
    } as any);
  } catch (e) {
    throw new EnrolmentError(
      'BACKEND_UNREACHABLE',
      `The backend's enrolment answer does not make a usable config: ${(e as Error).message}`,
    );
  }

  const privateKeyPem = await privateKeyToPem(keys.privateKey);
  await writePrivateKey(files.key, privateKeyPem);
  await writeCertificate(files.cert, enrolled.cert);
  await writeCertificate(files.ca, enrolled.caCert);
  // The config holds the heartbeat token: owner-only, like the key.
  await writePrivateKey(
    configFile,
    `# Written by tempest-agent enroll for host ${enrolled.name} (${enrolled.hostId}).\n# Holds the heartbeat token: keep it private.\n${YAML.stringify(config)}`,
  );
  return {
    hostId: enrolled.hostId,
    name: enrolled.name,
    configFile,
    files,
    heartbeatUrl: enrolled.heartbeatUrl,
  };
}
