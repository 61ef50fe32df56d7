import { createHash } from 'node:crypto';

/**
 * A stable id for one version of one appliance in one channel, valid as a
 * catalog entity name: `<channel>.<provides>.<version>`, at most 63
 * characters (long ones end in a hash of the full id).
 */
export function applianceId(
  channelId: string,
  provides: string,
  version: string,
): string {
  const raw = `${channelId}.${provides}.${version}`;
  const clean = raw
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/[-_.]{2,}/g, m => m[0])
    .replace(/^[-_.]+|[-_.]+$/g, '');
  if (clean.length <= 63 && clean === raw) return clean;
  if (clean.length <= 54) return `${clean}-${hash(raw)}`;
  return `${clean.slice(0, 54).replace(/[-_.]+$/, '')}-${hash(raw)}`;
}

function hash(value: string) {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}
