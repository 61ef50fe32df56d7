import { spec } from './openapi.generated';

/** Every schema node in the spec with the JSON path that leads to it. */
function* schemaNodes(
  value: unknown,
  where: string,
): Generator<[string, Record<string, unknown>]> {
  if (value === null || typeof value !== 'object') return;
  if (!Array.isArray(value)) yield [where, value as Record<string, unknown>];
  for (const [key, item] of Object.entries(value)) {
    yield* schemaNodes(item, `${where}/${key}`);
  }
}

describe('the appliances OpenAPI spec', () => {
  it('bounds every integer by what a database column holds exactly (at most 2^53 - 1)', () => {
    const unbounded = [...schemaNodes(spec, '#')]
      .filter(([, node]) => node.type === 'integer')
      .filter(
        ([, node]) =>
          typeof node.maximum !== 'number' ||
          node.maximum > Number.MAX_SAFE_INTEGER,
      )
      .map(([where]) => where);
    expect(unbounded).toEqual([]);
  });
});
