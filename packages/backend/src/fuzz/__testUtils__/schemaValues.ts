import fc from 'fast-check';

/** An OpenAPI 3.0 schema object (after `$ref`s are resolved). */
export type Schema = Record<string, any>;

/** A JSON value written as given: numbers JSON.stringify cannot write (2^53 + 1). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawJson parts. */
export function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Resolves `$ref`s (local ones) and merges `allOf`. */
export function resolve(spec: any, schema: Schema): Schema {
  let current = schema;
  while (current?.$ref) {
    const path = String(current.$ref).replace(/^#\//, '').split('/');
    current = path.reduce((node: any, key) => node?.[key], spec);
  }
  if (current?.allOf) {
    const parts = current.allOf.map((s: Schema) => resolve(spec, s));
    return {
      type: 'object',
      properties: Object.assign({}, ...parts.map((p: Schema) => p.properties)),
      required: parts.flatMap((p: Schema) => p.required ?? []),
    };
  }
  return current ?? {};
}

/** Values a caller might send that no sane API should store or choke on. */
export const hostileValues: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    'nul\u0000inside',
    '\u0000',
    'lone \ud800 surrogate',
    '\udfff',
    '',
    ' ',
    '../../etc/passwd',
    '%00',
    'user:default/<script>alert(1)</script>',
    '💣'.repeat(40),
    'x'.repeat(300),
    'y'.repeat(70_000),
    new RawJson('9007199254740993'),
    new RawJson('18446744073709551616'),
    new RawJson('1e308'),
    new RawJson('-1e308'),
    new RawJson('1.5'),
    new RawJson('-1'),
    new RawJson('0'),
    new RawJson('2147483648'),
    new RawJson('9007199254740992'),
    new RawJson('1e-7'),
    null,
    true,
    false,
    [],
    {},
    [
      [
        [
          [
            [
              [
                [
                  [
                    [
                      [
                        [
                          [
                            [
                              [
                                [
                                  [
                                    [
                                      [
                                        [
                                          [
                                            [
                                              [
                                                [
                                                  [
                                                    [
                                                      [
                                                        [
                                                          [
                                                            [
                                                              [
                                                                [
                                                                  [
                                                                    [
                                                                      [
                                                                        [
                                                                          [
                                                                            [
                                                                              [
                                                                                [
                                                                                  [
                                                                                    [],
                                                                                  ],
                                                                                ],
                                                                              ],
                                                                            ],
                                                                          ],
                                                                        ],
                                                                      ],
                                                                    ],
                                                                  ],
                                                                ],
                                                              ],
                                                            ],
                                                          ],
                                                        ],
                                                      ],
                                                    ],
                                                  ],
                                                ],
                                              ],
                                            ],
                                          ],
                                        ],
                                      ],
                                    ],
                                  ],
                                ],
                              ],
                            ],
                          ],
                        ],
                      ],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ],
      ],
    ],
    new RawJson('{"__proto__":{"admin":true},"constructor":{"prototype":{}}}'),
    'NaN',
    '123',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
);

/** A URL a valid request may carry that never reaches a real server from a test. */
function testUrl(pattern: string): fc.Arbitrary<string> {
  const scheme = pattern.startsWith('^https://')
    ? fc.constant('https')
    : fc.constantFrom('http', 'https');
  return fc
    .tuple(scheme, fc.stringMatching(/^[a-z0-9/.-]{0,30}$/))
    .map(([s, path]) => `${s}://127.0.0.1:9/${path}`);
}

function boundedString(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 64, min + 64);
  if (schema.pattern) {
    if (String(schema.pattern).startsWith('^http'))
      return testUrl(schema.pattern);
    const length = (s: string) =>
      s.length >= min && s.length <= (schema.maxLength ?? Infinity);
    return fc.stringMatching(new RegExp(schema.pattern)).filter(length);
  }
  if (schema.format === 'date-time')
    return fc
      .date({
        min: new Date('2000-01-01'),
        max: new Date('2100-01-01'),
        noInvalidDate: true,
      })
      .map(d => d.toISOString());
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: max }),
  );
}

function integerIn(schema: Schema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -1_000_000;
  const max = schema.maximum ?? Number.MAX_SAFE_INTEGER;
  return fc.oneof(
    {
      arbitrary: fc.integer({ min, max: Math.min(max, min + 100_000) }),
      weight: 4,
    },
    {
      arbitrary: fc.maxSafeInteger().filter(n => n >= min && n <= max),
      weight: 1,
    },
    { arbitrary: fc.constantFrom(min, max), weight: 1 },
  );
}

export type ValueOptions = {
  /** Chance (0..1) that a field is replaced by a hostile value. */
  hostility: number;
  /** Known values for a property or parameter name (ids that exist, taken names). */
  known: (name: string) => readonly unknown[] | undefined;
};

/**
 * Values for `schema`: mostly valid ones (so requests get past validation
 * into the routes), each field hostile with the given chance, and boundary
 * values (minimum, maximum, longest strings) among the valid ones.
 */
export function schemaValue(
  spec: any,
  raw: Schema,
  options: ValueOptions,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolve(spec, raw);
  const valid = validValue(spec, schema, options, name, depth);
  const known = options.known(name);
  const sane = known?.length
    ? fc.oneof({ arbitrary: fc.constantFrom(...known), weight: 3 }, valid)
    : valid;
  if (options.hostility <= 0) return sane;
  const weight = Math.max(1, Math.round(options.hostility * 100));
  return fc.oneof(
    { arbitrary: sane, weight: 100 - Math.min(weight, 99) },
    { arbitrary: hostileValues, weight },
  );
}

function validValue(
  spec: any,
  schema: Schema,
  options: ValueOptions,
  name: string,
  depth: number,
): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return boundedString(schema);
    case 'integer':
      return integerIn(schema);
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e9,
        max: schema.maximum ?? 1e9,
        noNaN: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(
        schemaValue(spec, schema.items ?? {}, options, name, depth + 1),
        {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 3, 3),
        },
      );
    case 'object':
    case undefined: {
      if (depth > 6) return fc.constant({});
      const properties: Record<string, Schema> = schema.properties ?? {};
      const required = new Set<string>(schema.required ?? []);
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([key, s]) => [
            key,
            schemaValue(spec, s, options, key, depth + 1),
          ]),
        ),
        { requiredKeys: [...required].filter(k => k in properties) },
      );
      if (schema.additionalProperties === true) {
        return fc
          .tuple(
            record,
            fc.dictionary(
              fc.string({ maxLength: 12 }),
              fc.jsonValue({ maxDepth: 2 }),
              { maxKeys: 4 },
            ),
          )
          .map(([r, extra]) => ({ ...extra, ...r }));
      }
      return record;
    }
    default:
      return fc.jsonValue({ maxDepth: 1 });
  }
}
