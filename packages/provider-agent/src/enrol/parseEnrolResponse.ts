import { EnrolmentError } from './EnrolmentError';

export interface EnrolResponse {
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

/** Reads the backend's enrolment answer; anything missing or odd counts as a broken backend. */
export function parseEnrolResponse(body: string): EnrolResponse {
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
