/**
 * Resolves a URL found in a feed or definition against the document it came
 * from, accepting only http and https. Returns undefined for anything else
 * (file:, javascript:, data:, ftp:, malformed).
 */
export function resolveHttpUrl(
  value: string,
  base?: string,
): string | undefined {
  let url: URL;
  try {
    url = base ? new URL(value, base) : new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (url.username || url.password) return undefined;
  return url.toString();
}

/** Whether an absolute URL is http or https (used for configured feed URLs). */
export function isHttpUrl(value: string): boolean {
  return resolveHttpUrl(value) !== undefined && /^https?:\/\//i.test(value);
}

/**
 * A webpanel is a path on the running instance (STORM's `/upload.php`) or an
 * absolute http(s) URL. Scheme-relative (`//host`) and other schemes are refused.
 */
export function normalizeWebpanel(value: string): string | undefined {
  if (/^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/?#]*$/.test(value)) return value;
  if (/^https?:\/\//i.test(value)) return resolveHttpUrl(value);
  return undefined;
}
