import fc from 'fast-check';
import {
  RawJson,
  Schema,
  hostileValues,
  resolve,
  schemaValue,
  toJson,
} from './schemaValues';

const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

/**
 * The longest value put in a URL. Node's HTTP server itself answers 431, with
 * no body, to a request head past 16 KiB, before any route sees it.
 */
const URL_PART_MAX = 4000;

function urlPart(text: string) {
  return encodeAny(text.slice(0, URL_PART_MAX));
}

/** encodeURIComponent that also writes unpaired surrogates (as the bytes WTF-8 gives them), so they reach the server. */
export function encodeAny(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
        .map(b => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

/** One operation of the spec. */
export type SpecOperation = {
  method: (typeof METHODS)[number];
  /** As the spec writes it: `/instances/{id}`. */
  path: string;
  operation: Schema;
};

/** Every operation in the spec: the fuzzer walks all of them, so new routes are fuzzed too. */
export function specOperations(spec: any): SpecOperation[] {
  return Object.entries(spec.paths as Record<string, Schema>).flatMap(
    ([path, item]) =>
      METHODS.filter(m => item[m]).map(method => ({
        method,
        path,
        operation: item[method],
      })),
  );
}

export type FuzzRequest = {
  method: SpecOperation['method'];
  /** The operation, as the spec writes its path. */
  route: string;
  url: string;
  headers: Record<string, string>;
  /** Raw body text (JSON, or something that is not). */
  body?: string;
  identity: string;
  /** valid: every value from the spec; hostile: at least one value or the shape is not. */
  kind: 'valid' | 'hostile';
};

export type RequestOptions = {
  identities: readonly string[];
  /** Known values by parameter or property name, per route (`/instances/{id}` → `id` → instance ids). */
  known: (route: string, name: string) => readonly unknown[] | undefined;
};

function pathValue(
  spec: any,
  schema: Schema,
  known: readonly unknown[] | undefined,
  hostile: boolean,
): fc.Arbitrary<string> {
  const sane = schemaValue(spec, schema, {
    hostility: 0,
    known: () => known,
  }).map(v => encodeAny(String(v)));
  const unknownId = fc.uuid().map(String);
  if (!hostile) return fc.oneof({ arbitrary: sane, weight: 4 }, unknownId);
  return fc.oneof(
    hostileValues.map(v => urlPart(v instanceof RawJson ? v.text : String(v))),
    fc.constantFrom(
      '%00',
      '..%2F..%2Fetc',
      '%E0%A4%A',
      '%ED%A0%80',
      'a'.repeat(5000),
    ),
  );
}

function queryValue(
  spec: any,
  schema: Schema,
  known: readonly unknown[] | undefined,
  hostile: boolean,
): fc.Arbitrary<string[]> {
  const one = schemaValue(spec, schema, {
    hostility: 0,
    known: () => known,
  }).map(v => String(v));
  if (!hostile) return one.map(v => [v]);
  return fc.oneof(
    hostileValues.map(v => [
      (v instanceof RawJson ? v.text : String(v)).slice(0, URL_PART_MAX),
    ]),
    fc.tuple(one, one).map(([a, b]) => [a, b]),
  );
}

function encodeQuery(params: Array<[string, string[]]>): string {
  const parts = params.flatMap(([k, vs]) =>
    vs.map(v => `${encodeAny(k)}=${encodeAny(v)}`),
  );
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A header value Node can send (visible ASCII), valid or not for the spec. */
function headerValue(
  spec: any,
  schema: Schema,
  hostile: boolean,
): fc.Arbitrary<string> {
  const ascii = (s: string) => s.replace(/[^\x21-\x7e]/g, 'x');
  if (hostile)
    return fc.oneof(
      fc.constantFrom('', 'x'.repeat(300), 'W/"abc"', '"99999999999"', '*'),
      fc.string({ maxLength: 40 }).map(ascii),
    );
  return schemaValue(spec, schema, { hostility: 0, known: () => undefined })
    .map(v => ascii(String(v)))
    .filter(v => v.length > 0);
}

function bodyText(
  spec: any,
  schema: Schema,
  route: string,
  options: RequestOptions,
  hostile: boolean,
): fc.Arbitrary<string> {
  const value = (hostility: number) =>
    schemaValue(spec, schema, {
      hostility,
      known: name => options.known(route, name),
    });
  if (!hostile) return value(0).map(toJson);
  const resolved = resolve(spec, schema);
  const structural = fc.oneof(
    // Another shape altogether, or not JSON at all.
    hostileValues.map(toJson),
    fc.constantFrom('{"unterminated": ', 'not json', '[', '{}'.repeat(3), ''),
    // A valid body with an unknown property, or without a required one.
    fc
      .tuple(value(0), fc.string({ maxLength: 12 }), hostileValues)
      .map(([v, k, x]) =>
        toJson(typeof v === 'object' && v ? { ...v, [`x-${k}`]: x } : v),
      ),
    fc
      .tuple(value(0), fc.constantFrom(...(resolved.required ?? ['none'])))
      .map(([v, key]) => {
        if (typeof v !== 'object' || !v) return toJson(v);
        const copy = { ...(v as object) } as Record<string, unknown>;
        delete copy[key as string];
        return toJson(copy);
      }),
  );
  // Mostly valid bodies with a hostile value somewhere inside, so each route's handling of one bad field is reached.
  return fc.oneof(
    { arbitrary: value(0.25).map(toJson), weight: 3 },
    { arbitrary: structural, weight: 2 },
  );
}

/** Requests for one operation, valid or hostile, from each identity. */
export function operationRequests(
  spec: any,
  op: SpecOperation,
  options: RequestOptions,
): fc.Arbitrary<FuzzRequest> {
  const params: Schema[] = (op.operation.parameters ?? []).map((p: Schema) =>
    resolve(spec, p),
  );
  const forKind = (hostile: boolean) => {
    // In a hostile request one part (path, query, header or body) is hostile.
    const parts = ['path', 'query', 'header', 'body'].filter(part =>
      part === 'body'
        ? Boolean(op.operation.requestBody)
        : params.some(p => p.in === part),
    );
    let choices = ['none'];
    if (hostile) choices = parts.length ? parts : ['extra-query'];
    // Built once per choice: arbitraries from patterns are costly to build.
    const byChoice = choices.map(bad => {
      const pathArbs = params
        .filter(p => p.in === 'path')
        .map(p =>
          pathValue(
            spec,
            p.schema,
            options.known(op.path, p.name),
            bad === 'path',
          ).map(v => [p.name, v] as const),
        );
      const queryArbs = params
        .filter(p => p.in === 'query')
        .map(p =>
          fc.option(
            queryValue(
              spec,
              p.schema,
              options.known(op.path, p.name),
              bad === 'query',
            ).map(v => [p.name as string, v] as [string, string[]]),
            { nil: undefined, freq: 2 },
          ),
        );
      const headerArbs = params
        .filter(p => p.in === 'header')
        .map(p =>
          fc.option(
            headerValue(spec, p.schema, bad === 'header').map(
              v => [p.name as string, v] as const,
            ),
            { nil: undefined, freq: 2 },
          ),
        );
      const body = op.operation.requestBody
        ? fc.option(
            bodyText(
              spec,
              op.operation.requestBody.content?.['application/json']?.schema ??
                {},
              op.path,
              options,
              bad === 'body',
            ),
            { nil: undefined, freq: 20 },
          )
        : fc.constant(undefined);
      const extraQuery =
        bad === 'extra-query'
          ? fc
              .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
              .map(([k, v]) => [[`x${k}`, [v]]] as Array<[string, string[]]>)
          : fc.constant([] as Array<[string, string[]]>);
      return fc.record({
        path: fc.tuple(...pathArbs),
        query: fc.tuple(...queryArbs),
        headers: fc.tuple(...headerArbs),
        extraQuery,
        body,
        identity: fc.constantFrom(...options.identities),
      });
    });
    return fc.oneof(...byChoice).map(r => {
      let url = op.path;
      for (const [name, value] of r.path) url = url.replace(`{${name}}`, value);
      const query = [
        ...r.query.filter((q): q is [string, string[]] => q !== undefined),
        ...r.extraQuery,
      ];
      const headers = Object.fromEntries(
        r.headers.filter(
          (h): h is readonly [string, string] => h !== undefined,
        ),
      );
      return {
        method: op.method,
        route: op.path,
        url: `${url}${encodeQuery(query)}`,
        headers,
        body: r.body,
        identity: r.identity,
        kind: hostile ? ('hostile' as const) : ('valid' as const),
      };
    });
  };
  return fc.oneof(forKind(false), forKind(true));
}

/** Requests over every operation of the spec, each operation as likely as any other. */
export function specRequests(spec: any, options: RequestOptions) {
  return fc.oneof(
    ...specOperations(spec).map(op => operationRequests(spec, op, options)),
  );
}
