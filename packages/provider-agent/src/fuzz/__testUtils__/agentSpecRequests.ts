import fc from 'fast-check';

/** An OpenAPI 3.0 schema object. */
export type Schema = Record<string, any>;

/** A JSON value written as given, for numbers JSON.stringify cannot write (2^53 + 1). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawJson parts. */
export function toJson(json: unknown): string {
  if (json instanceof RawJson) return json.text;
  if (Array.isArray(json)) return `[${json.map(toJson).join(',')}]`;
  if (json !== null && typeof json === 'object') {
    return `{${Object.entries(json)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(json) ?? 'null';
}

/** One operation of the spec: how to call it and what it may answer. */
export type SpecOperation = {
  id: string;
  method: string;
  /** e.g. `/v1/images/{kind}/{name}` */
  path: string;
  parameters: Array<{ name: string; schema: Schema }>;
  body?: { schema: Schema; required: boolean };
  responses: Record<string, Schema | undefined>;
};

function resolve(spec: any, schema: Schema | undefined): Schema {
  let current = schema ?? {};
  while (current.$ref) {
    const parts = String(current.$ref).replace(/^#\//, '').split('/');
    current = parts.reduce((node: any, key) => node?.[key], spec);
  }
  return current;
}

/** Every operation in the spec, with its `$ref`s resolved one level. */
export function specOperations(spec: any): SpecOperation[] {
  const operations: SpecOperation[] = [];
  for (const [path, item] of Object.entries<any>(spec.paths)) {
    const shared = (item.parameters ?? []).map((p: Schema) => resolve(spec, p));
    for (const method of ['get', 'put', 'post', 'delete', 'patch']) {
      const op = item[method];
      if (!op) continue;
      const own = (op.parameters ?? []).map((p: Schema) => resolve(spec, p));
      const body = op.requestBody && resolve(spec, op.requestBody);
      operations.push({
        id: op.operationId,
        method: method.toUpperCase(),
        path,
        parameters: [...shared, ...own].map(p => ({
          name: p.name,
          schema: p.schema,
        })),
        body: body
          ? {
              schema: body.content['application/json'].schema,
              required: Boolean(body.required),
            }
          : undefined,
        responses: Object.fromEntries(
          Object.entries<any>(op.responses).map(([status, r]) => [
            status,
            resolve(spec, r).content?.['application/json']?.schema,
          ]),
        ),
      });
    }
  }
  return operations;
}

/** Values a careless or hostile caller sends: NUL, traversal, huge numbers, long strings, wrong types. */
export const hostileValues: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    'nul\u0000inside',
    '\u0000',
    '../../etc/passwd',
    '..',
    '.',
    '../images',
    'a/../../b',
    '%2e%2e%2f',
    'a\\b',
    '-leading-dash',
    'UPPER',
    'x'.repeat(64),
    'y'.repeat(70_000),
    'lone \ud800 surrogate',
    '💣',
    '',
    ' ',
    'a;reboot',
    '$(id)',
    new RawJson('9007199254740993'),
    new RawJson('18446744073709551616'),
    new RawJson('1e308'),
    new RawJson('-1e308'),
    new RawJson('1.5'),
    new RawJson('-1'),
    new RawJson('0'),
    new RawJson('2147483648'),
    new RawJson('{"__proto__":{"polluted":true}}'),
    null,
    true,
    [],
    {},
    'NaN',
    '123',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

export type RequestOptions = {
  /** Chance (0..1) that a field is replaced by a hostile value. */
  hostility: number;
  /** Values that exist on the agent for a property or parameter name. */
  known: (name: string) => readonly unknown[] | undefined;
};

function stringFor(schema: Schema): fc.Arbitrary<string> {
  const max = Math.min(schema.maxLength ?? 64, 64);
  if (schema.pattern) {
    if (String(schema.pattern).startsWith('^http'))
      // Connection refused at once: a download that fails fast.
      return fc
        .stringMatching(/^[a-z0-9/.-]{0,20}$/)
        .map(p => `http://127.0.0.1:9/${p}`);
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter(s => s.length <= (schema.maxLength ?? Infinity));
  }
  if (schema.format === 'uuid') return fc.uuid();
  return fc.string({ maxLength: max });
}

function validValue(
  spec: any,
  schema: Schema,
  options: RequestOptions,
  depth: number,
): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return stringFor(schema);
    case 'integer': {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? Number.MAX_SAFE_INTEGER;
      return fc.oneof(
        fc.integer({ min, max: Math.min(max, min + 10_000) }),
        fc.constantFrom(min, max),
      );
    }
    case 'number':
      return fc.oneof(
        fc.double({
          min: schema.minimum ?? -1e9,
          max: schema.maximum ?? 1e9,
          noNaN: true,
        }),
        fc.constantFrom(schema.minimum ?? 0, schema.maximum ?? 1),
      );
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(value(spec, schema.items ?? {}, options, '', depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: 3,
      });
    default: {
      if (depth > 5) return fc.constant({});
      const properties: Record<string, Schema> = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([key, s]) => [
            key,
            value(spec, s, options, key, depth + 1),
          ]),
        ),
        {
          requiredKeys: (schema.required ?? []).filter(
            (k: string) => k in properties,
          ),
        },
      );
      if (schema.additionalProperties && !schema.properties) {
        return fc.dictionary(
          fc.string({ maxLength: 12 }),
          value(spec, schema.additionalProperties, options, '', depth + 1),
          { maxKeys: 3 },
        );
      }
      return record;
    }
  }
}

/** A value for `schema`: mostly valid or known, hostile with the given chance. */
export function value(
  spec: any,
  raw: Schema,
  options: RequestOptions,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolve(spec, raw);
  const valid = validValue(spec, schema, options, depth);
  const known = options.known(name);
  const sane = known?.length
    ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 3 }, valid)
    : valid;
  const hostile = Math.round(options.hostility * 100);
  if (hostile <= 0) return sane;
  return fc.oneof(
    { arbitrary: sane, weight: 100 - hostile },
    { arbitrary: hostileValues, weight: hostile },
  );
}

export type FuzzRequest = {
  operation: string;
  method: string;
  path: string;
  body?: string;
  contentType?: string;
};

/** Encodes a path parameter; printable ones are sometimes sent raw, to try traversal as path segments. */
function pathSegment(v: unknown): fc.Arbitrary<string> {
  const text = typeof v === 'string' ? v : toJson(v);
  const encoded = fc.constant(percentEncoded(text));
  return /^[\x21-\x7e]+$/.test(text)
    ? fc.oneof({ arbitrary: encoded, weight: 4 }, fc.constant(text))
    : encoded;
}

/** Requests for one operation: path parameters, a body, and now and then a broken body. */
export function requestsFor(
  spec: any,
  operation: SpecOperation,
  options: RequestOptions,
): fc.Arbitrary<FuzzRequest> {
  const params = fc.tuple(
    ...operation.parameters.map(p =>
      value(spec, p.schema, options, p.name).chain(pathSegment),
    ),
  );
  const validBody: fc.Arbitrary<{ body?: string; contentType?: string }> =
    operation.body
      ? value(spec, operation.body.schema, options, operation.id).map(b => ({
          body: toJson(b),
        }))
      : fc.constant({});
  const brokenBody = fc.constantFrom<{ body?: string; contentType?: string }>(
    { body: '{"truncated":' },
    { body: 'null' },
    { body: '"just a string"' },
    { body: '[]' },
    { body: `{"padding":"${'z'.repeat(1_100_000)}"}` },
    { body: '{"a":1}', contentType: 'text/plain' },
    { body: 'name=x', contentType: 'application/x-www-form-urlencoded' },
    {},
  );
  const body = fc.oneof(
    { arbitrary: validBody, weight: 9 },
    { arbitrary: brokenBody, weight: 1 },
  );
  return fc.tuple(params, body).map(([values, b]) => {
    let path = operation.path;
    operation.parameters.forEach((p, i) => {
      path = path.replace(`{${p.name}}`, values[i]);
    });
    const request: FuzzRequest = {
      operation: operation.id,
      method: operation.method,
      path,
      ...b,
    };
    // Counterexamples print short: some paths and bodies run to megabytes.
    return Object.assign(request, {
      [fc.toStringMethod]: () =>
        `${request.method} ${clip(request.path)} ${clip(request.body ?? '')}${
          request.contentType ? ` (${request.contentType})` : ''
        }`,
    });
  });
}

function clip(text: string): string {
  return text.length > 160
    ? `${text.slice(0, 120)}…(${text.length} chars)`
    : text;
}

/** Every byte but the unreserved ones as %XX (lone surrogates go out as U+FFFD). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map(b =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}
