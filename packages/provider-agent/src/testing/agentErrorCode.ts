import { isAgentError } from '../errors/AgentError';

/** 'OK' if the promise resolves, else the AgentError code it rejects with (anything else is rethrown). */
export async function agentErrorCode(
  promise: Promise<unknown>,
): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (e) {
    if (isAgentError(e)) return e.code;
    throw e;
  }
}
