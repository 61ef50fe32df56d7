/**
 * What to tell a person about a failed call: the backend's own message as a
 * sentence they can act on, never a stack, a status line or a JSON dump.
 */
type ErrorLike = {
  name?: string;
  message?: string;
  status?: number;
  statusCode?: number;
  body?: { error?: { message?: string; name?: string } };
};

const FIELD_WORDS: Array<[RegExp, string]> = [
  [/^must match pattern .*$/, 'is not in the expected form'],
  [/^must be <= (\d+)$/, 'must be at most $1'],
  [/^must be >= (\d+)$/, 'must be at least $1'],
  [/^must be integer$/, 'must be a whole number'],
  [
    /^must NOT have more than (\d+) characters$/,
    'must be at most $1 characters',
  ],
  [
    /^must NOT have fewer than (\d+) characters$/,
    'must be at least $1 characters',
  ],
  [/^must have required property '(.+)'$/, "needs '$1'"],
  [/^must NOT have additional properties$/, 'has a field it does not accept'],
];

/** `request/body/size/cpuCores must be <= 4096` → `size.cpuCores must be at most 4096`. */
function fromValidator(message: string): string | undefined {
  const match = /^request\/(?:body|query|params|headers)\/?(\S*) (.+)$/.exec(
    message,
  );
  if (!match) return undefined;
  const [, path, rule] = match;
  let words = rule;
  for (const [pattern, replacement] of FIELD_WORDS) {
    if (pattern.test(rule)) {
      words = rule.replace(pattern, replacement);
      break;
    }
  }
  const field = path ? path.replace(/\//g, '.') : 'The request';
  return `${path ? `The value of ${field}` : field} ${words}`;
}

/** An error body that was not labelled JSON ends up inside a message: read it anyway. */
function embeddedMessage(message: string): string | undefined {
  const embedded = /\{"error":.*\}/s.exec(message)?.[0];
  if (!embedded) return undefined;
  try {
    const inner = JSON.parse(embedded).error?.message;
    return typeof inner === 'string' ? inner : undefined;
  } catch {
    return undefined;
  }
}

function asSentence(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ');
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export function errorSentence(error: unknown): string {
  const e = (error ?? {}) as ErrorLike;
  const status = e.status ?? e.statusCode;
  const backendMessage = e.body?.error?.message;
  if (backendMessage) {
    const inner = embeddedMessage(backendMessage) ?? backendMessage;
    return asSentence(fromValidator(inner) ?? inner);
  }
  if (
    e.name === 'TypeError' &&
    /fetch|network|load failed/i.test(e.message ?? '')
  ) {
    return 'The Tempest backend did not answer. Check your connection and that the backend is running, then try again.';
  }
  if (status === 401)
    return 'Your sign-in has expired. Reload the page to sign in again.';
  if (status === 403) return 'You are not allowed to do this.';
  if (status !== undefined && status >= 500) {
    return `The backend could not answer (status ${status}). Try again; if it keeps failing, ask an administrator to look at the backend's log.`;
  }
  const message = e.message ?? String(error);
  const inner = embeddedMessage(message);
  if (inner) return asSentence(fromValidator(inner) ?? inner);
  if (/^Request failed with \d+/.test(message)) {
    return `The backend refused the request (${message.replace(/^Request failed with /, 'status ')}).`;
  }
  return asSentence(fromValidator(message) ?? message);
}
