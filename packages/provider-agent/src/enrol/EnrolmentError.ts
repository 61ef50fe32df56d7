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
