import type { AgentApiSchemas } from '../api/apiTypes';
/**
 * Stable error codes the agent answers with, and the HTTP status each maps to.
 * Callers branch on `code`; the message is for people.
 */
export const errorStatus = {
  INVALID_REQUEST: 400,
  INVALID_NAME: 400,
  INVALID_PATH: 400,
  CLIENT_CERT_REQUIRED: 403,
  UNKNOWN_IMAGE: 404,
  UNKNOWN_DISK: 404,
  UNKNOWN_DOMAIN: 404,
  UNKNOWN_DOWNLOAD: 404,
  UNKNOWN_NETWORK: 404,
  NOT_FOUND: 404,
  IMAGE_EXISTS: 409,
  IMAGE_IN_USE: 409,
  DISK_EXISTS: 409,
  DISK_IN_USE: 409,
  DOMAIN_RUNNING: 409,
  PEER_CERTIFICATE_MISMATCH: 502,
  TRANSFER_FAILED: 502,
  TRANSFER_CANCELLED: 499,
  DOMAIN_EXISTS: 409,
  DOMAIN_STATE_CONFLICT: 409,
  DOMAIN_NOT_RUNNING: 409,
  DOMAIN_ARRIVED: 409,
  MIGRATION_FAILED: 502,
  MIGRATION_CANCELLED: 499,
  MAC_IN_USE: 409,
  DOWNLOAD_IN_PROGRESS: 409,
  NOT_SUPPORTED: 409,
  CHECKSUM_MISMATCH: 422,
  SIGNATURE_INVALID: 422,
  IMAGE_INVALID: 422,
  DOWNLOAD_FAILED: 502,
  DOWNLOAD_STALLED: 504,
  DOWNLOAD_CANCELLED: 499,
  DISK_FULL: 507,
  HYPERVISOR_ERROR: 500,
  COMMAND_FAILED: 500,
  INTERNAL: 500,
  // Every code the spec lists has a status here, and no other.
} as const satisfies Record<AgentApiSchemas['Error']['error']['code'], number>;

export type AgentErrorCode = keyof typeof errorStatus;

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly status: number;

  constructor(
    code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AgentError';
    this.code = code;
    this.status = errorStatus[code];
  }

  toJSON() {
    return { error: { code: this.code, message: this.message } };
  }
}

export function isAgentError(
  e: unknown,
  code?: AgentErrorCode,
): e is AgentError {
  return e instanceof AgentError && (code === undefined || e.code === code);
}

/** Maps filesystem errors the agent can explain to stable codes. */
export function fromFsError(e: any, what: string): AgentError {
  if (e instanceof AgentError) return e;
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return new AgentError(
      'DISK_FULL',
      `No space left on the data disk while writing ${what}`,
      { cause: e },
    );
  }
  return new AgentError('INTERNAL', `${what}: ${e?.message ?? e}`, {
    cause: e,
  });
}
