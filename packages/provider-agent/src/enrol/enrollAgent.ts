import YAML from 'yaml';
import { writeCertificate, writePrivateKey } from '../pki/pemFiles';
import { privateKeyToPem } from '../pki/x509Provider';
import { agentConfigFromEnrolment } from './agentConfigFromEnrolment';
import { checkIssuedCertificate } from './checkIssuedCertificate';
import { createEnrolmentCsr } from './createEnrolmentCsr';
import { EnrollAgentOptions } from './EnrollAgentOptions';
import { parseEnrolResponse } from './parseEnrolResponse';
import { postEnrolment } from './postEnrolment';
import { prepareEnrolment } from './prepareEnrolment';

export interface EnrolmentOutcome {
  hostId: string;
  name: string;
  configFile: string;
  files: { ca: string; cert: string; key: string };
  heartbeatUrl: string;
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
  const { enrolUrl, token, agentUrl, agentHost, dataDir, configFile, files } =
    await prepareEnrolment(options);
  const { keys, csr, publicKeySpki } = await createEnrolmentCsr(agentHost);

  const body = await postEnrolment(
    enrolUrl,
    {
      token,
      csr: csr.toString('pem'),
      ...(agentUrl ? { agentUrl: agentUrl.toString().replace(/\/$/, '') } : {}),
    },
    options.timeoutMs ?? 30_000,
  );
  const enrolled = parseEnrolResponse(body);
  checkIssuedCertificate(enrolled, publicKeySpki);
  const config = agentConfigFromEnrolment(enrolled, {
    agentUrl,
    dataDir,
    driver: options.driver,
    files,
  });

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
