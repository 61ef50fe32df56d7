/** NUL, or a UTF-16 surrogate without its pair: text no database stores as sent. */
const INVALID_TEXT =
  // eslint-disable-next-line no-control-regex -- finding NUL is the point
  /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const MAX_DEPTH = 32;

/** Why `text` cannot be stored, or undefined when it can. */
export function invalidTextReason(text: string): string | undefined {
  const match = INVALID_TEXT.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000'
    ? 'contains a NUL character (\\u0000)'
    : 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
}

/**
 * The first string (or object key) in a parsed value that cannot be stored,
 * with where it is (`body.size.hostname`, `query.owner[1]`).
 */
export function findInvalidText(
  value: unknown,
  where: string,
  depth = 0,
): { where: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = invalidTextReason(value);
    return reason ? { where, reason } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  // Deeper than any request of this API: refused rather than walked.
  if (depth >= MAX_DEPTH)
    return { where, reason: `is nested more than ${MAX_DEPTH} levels deep` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findInvalidText(value[i], `${where}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const keyReason = invalidTextReason(key);
    if (keyReason)
      return { where: `a property name in ${where}`, reason: keyReason };
    const found = findInvalidText(
      item,
      `${where}.${key.slice(0, 64)}`,
      depth + 1,
    );
    if (found) return found;
  }
  return undefined;
}
