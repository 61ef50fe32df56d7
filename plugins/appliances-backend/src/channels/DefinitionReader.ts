import { decodeXmlText } from './xml';

export type Node = Record<string, unknown>;
type Problem = { field: string; message: string };

export function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

/** Reads a definition's fields, collecting every problem rather than stopping at the first. */
export class DefinitionReader {
  readonly problems: Problem[] = [];

  fail(field: string, message: string): undefined {
    this.problems.push({ field, message });
    return undefined;
  }

  /** A text element that appears at most once. */
  text(
    node: Node,
    name: string,
    field: string,
    required: boolean,
    maxLength: number,
  ) {
    const raw = node[name];
    if (raw === undefined || raw === '') {
      return required
        ? this.fail(field, 'expected a value, got nothing')
        : undefined;
    }
    if (Array.isArray(raw)) {
      return this.fail(field, `expected one <${name}>, got ${raw.length}`);
    }
    if (typeof raw !== 'string') {
      return this.fail(
        field,
        'expected text, got nested elements or attributes',
      );
    }
    const value = decodeXmlText(raw);
    if (value.length > maxLength) {
      return this.fail(
        field,
        `expected at most ${maxLength} characters, got ${value.length}`,
      );
    }
    return value;
  }

  integer(
    raw: string | undefined,
    field: string,
    min: number,
    max: number,
    unit: string,
  ): number | undefined {
    if (raw === undefined) return undefined;
    if (!/^\d{1,12}$/.test(raw)) {
      return this.fail(
        field,
        `expected a whole number of ${unit}, got ${show(raw)}`,
      );
    }
    const n = Number(raw);
    if (n < min || n > max) {
      return this.fail(field, `expected ${min}..${max} ${unit}, got ${n}`);
    }
    return n;
  }

  matching(
    raw: string | undefined,
    field: string,
    pattern: RegExp,
    what: string,
  ) {
    if (raw === undefined) return undefined;
    return pattern.test(raw)
      ? raw
      : this.fail(field, `expected ${what}, got ${show(raw)}`);
  }
}

export function attr(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const value = (node as Node)[`@${name}`];
  return typeof value === 'string' ? decodeXmlText(value) : undefined;
}
