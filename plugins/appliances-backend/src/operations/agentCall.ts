/** A failed agent call: the agent's error code and message, or the transport error. */
export class AgentCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AgentCallError';
  }
}

type FetchResult<T> = { data?: T; error?: unknown; response: Response };

/** Awaits an openapi-fetch call and returns its data, or throws AgentCallError. */
export async function agentCall<T>(
  what: string,
  call: Promise<FetchResult<T>>,
): Promise<{ data: T; status: number }> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (e) {
    throw new AgentCallError(
      'UNREACHABLE',
      `${what}: agent unreachable (${(e as Error).message})`,
    );
  }
  if (result.error !== undefined || !result.response.ok) {
    const body = result.error as
      { error?: { code?: string; message?: string } } | undefined;
    const code = body?.error?.code ?? `HTTP_${result.response.status}`;
    throw new AgentCallError(
      code,
      `${what}: ${code}: ${body?.error?.message ?? result.response.statusText}`,
      result.response.status,
    );
  }
  return { data: result.data as T, status: result.response.status };
}
