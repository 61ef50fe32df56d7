import { errors, request } from 'undici';
import { EnrolmentError } from './EnrolmentError';

function errorMessageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body);
    const message = parsed?.error?.message ?? parsed?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return body.trim() ? body.trim().slice(0, 500) : undefined;
  }
}

/** Sends the enrolment request; returns the body of a 200 and turns anything else into an EnrolmentError. */
export async function postEnrolment(
  enrolUrl: URL,
  payload: Record<string, unknown>,
  timeoutMs: number,
): Promise<string> {
  let status: number;
  let body: string;
  try {
    const response = await request(enrolUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(payload),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
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
  return body;
}
