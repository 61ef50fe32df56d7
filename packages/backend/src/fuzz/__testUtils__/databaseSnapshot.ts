import { Knex } from 'knex';

/** Every row of every table (knex's own excepted), each table's rows sorted, as comparable text. */
export type DatabaseSnapshot = Record<string, string[]>;

async function tableNames(knex: Knex): Promise<string[]> {
  const client = String(knex.client.config.client);
  const names: string[] = client.includes('sqlite')
    ? (await knex('sqlite_master').where({ type: 'table' }).select('name')).map(
        (r: { name: string }) => r.name,
      )
    : (
        await knex('pg_tables')
          .whereRaw('schemaname = current_schema()')
          .select('tablename')
      ).map((r: { tablename: string }) => r.tablename);
  return names
    .filter(n => !n.startsWith('knex_') && !n.startsWith('sqlite_'))
    .sort();
}

function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  // SQLite keeps timestamps as numbers, PostgreSQL bigints come back as strings.
  return value;
}

/** Reads every row of the plugin's tables. `skip` leaves out rows the comparison should not see. */
export async function snapshotDatabase(
  knex: Knex,
  skip: (table: string, row: Record<string, unknown>) => boolean = () => false,
): Promise<DatabaseSnapshot> {
  const tables = await tableNames(knex);
  const rowsByTable: Record<string, Record<string, unknown>[]> = {};
  if (String(knex.client.config.client).includes('sqlite')) {
    for (const table of tables)
      rowsByTable[table] = await knex(table).select('*');
  } else {
    // One round trip for every table: this runs after every refused request.
    const union = tables
      .map(t => `select '${t}' as t, row_to_json(x)::text as r from "${t}" x`)
      .join(' union all ');
    const { rows } = await knex.raw(union);
    for (const table of tables) rowsByTable[table] = [];
    for (const { t, r } of rows as { t: string; r: string }[])
      rowsByTable[t].push(JSON.parse(r));
  }
  const snapshot: DatabaseSnapshot = {};
  for (const table of tables) {
    snapshot[table] = rowsByTable[table]
      .filter(row => !skip(table, row))
      .map(row =>
        JSON.stringify(
          Object.fromEntries(
            Object.entries(row)
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([k, v]) => [k, normalize(v)]),
          ),
        ),
      )
      .sort();
  }
  return snapshot;
}

/** What differs between two snapshots, table by table (rows only in one of them). */
export function snapshotDifference(
  before: DatabaseSnapshot,
  after: DatabaseSnapshot,
): Record<string, { removed: string[]; added: string[] }> {
  const diff: Record<string, { removed: string[]; added: string[] }> = {};
  for (const table of new Set([
    ...Object.keys(before),
    ...Object.keys(after),
  ])) {
    const a = new Set(before[table] ?? []);
    const b = new Set(after[table] ?? []);
    const removed = [...a].filter(r => !b.has(r));
    const added = [...b].filter(r => !a.has(r));
    if (removed.length || added.length) diff[table] = { removed, added };
  }
  return diff;
}
