/**
 * Compares appliance versions such as `1.0.0-0`, `2.4.10-3` or `1.2rc1`:
 * digit runs compare as numbers, other runs as text, and a longer version
 * with the same prefix is newer. Returns <0, 0 or >0.
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|[A-Za-z]+|[^A-Za-z\d]+/g) ?? [];
  const pb = b.match(/\d+|[A-Za-z]+|[^A-Za-z\d]+/g) ?? [];
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xNum = /^\d/.test(x);
    const yNum = /^\d/.test(y);
    if (xNum && yNum) {
      const diff = compareDigits(x, y);
      if (diff) return diff;
    } else if (xNum !== yNum) {
      // A number sorts after a separator or label: 1.0.1 > 1.0-rc.
      return xNum ? 1 : -1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/** Compares two digit runs as numbers of any length. */
function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+/, '');
  const b = y.replace(/^0+/, '');
  if (a.length !== b.length) return a.length - b.length;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export type DependencySpec = { name: string; version?: string };

export const PROVIDES_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,62}$/;

/** Parses STORM's `name` or `name:version` dependency form. */
export function parseDependency(value: string): DependencySpec | undefined {
  const [name, version, ...rest] = value.split(':');
  if (rest.length || !PROVIDES_PATTERN.test(name)) return undefined;
  if (version === undefined) return { name };
  if (!VERSION_PATTERN.test(version)) return undefined;
  return { name, version };
}
