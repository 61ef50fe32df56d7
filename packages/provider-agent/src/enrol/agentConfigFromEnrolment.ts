import { defaultConfig, validateConfig } from '../config/AgentConfig';
import { EnrolmentError } from './EnrolmentError';
import { EnrolResponse } from './parseEnrolResponse';

/** The agent config `serve --config` reads after enrolment; a config that would not load is the backend's fault. */
export function agentConfigFromEnrolment(
  enrolled: EnrolResponse,
  local: {
    agentUrl?: URL;
    dataDir: string;
    driver?: 'libvirt' | 'simulated';
    files: { ca: string; cert: string; key: string };
  },
) {
  const { agentUrl, dataDir, driver, files } = local;
  // Without --agent-url the registered URL (if the backend returns it) decides
  // the port; with neither, listen everywhere on the default port and let the
  // backend keep the URL it was registered with.
  let advertised = agentUrl;
  if (!advertised && typeof enrolled.agentUrl === 'string') {
    // An answer that is not an https URL is ignored: the agent listens everywhere.
    const registered = URL.canParse(enrolled.agentUrl)
      ? new URL(enrolled.agentUrl)
      : undefined;
    if (registered?.protocol === 'https:') advertised = registered;
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
    ...(driver ? { driver } : {}),
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
  return config;
}
