/**
 * The tables of one generation of the PostgreSQL search index: one table per
 * kind of value, each row `(type, id, param, ...value)`, and the resource
 * record table. Text columns use `COLLATE "C"` (byte order: prefix `LIKE`
 * uses the btree indexes, and sort order matches the cursor's comparison).
 *
 * | table  | value columns                                  | answers                          |
 * |--------|------------------------------------------------|----------------------------------|
 * | `res`  | c (seq its life began), v, sort, present, tsv  | paging, sort, `:missing`, `_text`, `_content` |
 * | `tok`  | system, value, tsys, tcode                     | token, `:not`, `:of-type`        |
 * | `tokx` | text (normalized, and each word tail)          | token `:text`                    |
 * | `str`  | norm, exact                                    | string, `:exact`, `:contains`    |
 * | `dt`   | low, high (ms)                                 | date prefixes                    |
 * | `num`  | k, sys, unit, value                            | number, quantity (UCUM canonical)|
 * | `ref`  | ttype, tid, url, isys, ival                    | reference, chains, `_has`, includes, compartments |
 * | `uri`  | value                                          | uri, `:below`, `:above`          |
 * | `cmp`  | rep, n, and the columns of each kind above     | composites (`composite-rows.ts`) |
 */
import type { PoolClient } from 'pg';
import { quoteIdent } from '../sql-names.js';

/** Quoted, schema-qualified names of the tables of one generation. */
export interface SearchTables {
  res: string;
  token: string;
  tokenText: string;
  string: string;
  date: string;
  number: string;
  reference: string;
  uri: string;
  composite: string;
}

/** The index tables (every table but `res`), by the key of {@link SearchTables}. */
export const INDEX_TABLES = [
  'token',
  'tokenText',
  'string',
  'date',
  'number',
  'reference',
  'uri',
  'composite',
] as const;
export type IndexTable = (typeof INDEX_TABLES)[number];

const SUFFIX: Record<keyof SearchTables, string> = {
  res: 'res',
  token: 'tok',
  tokenText: 'tokx',
  string: 'str',
  date: 'dt',
  number: 'num',
  reference: 'ref',
  uri: 'uri',
  composite: 'cmp',
};

/**
 * The tables of `generation`, named by the projector's `table(suffix, generation)`.
 *
 * @example
 * ```ts
 * searchTables((s, g) => projector.table(s, g), 1).token; // '"fhirstream"."p_search-index_g1_tok"'
 * ```
 */
export function searchTables(
  table: (suffix: string, generation: number) => string,
  generation: number,
): SearchTables {
  const out = {} as SearchTables;
  for (const [key, suffix] of Object.entries(SUFFIX))
    out[key as keyof SearchTables] = table(suffix, generation);
  return out;
}

const COLUMNS: Record<IndexTable, string> = {
  token: 'system text COLLATE "C" NOT NULL, value text COLLATE "C" NOT NULL, tsys text, tcode text',
  tokenText: 'text text COLLATE "C" NOT NULL',
  string: 'norm text COLLATE "C" NOT NULL, exact text COLLATE "C" NOT NULL',
  date: 'low float8 NOT NULL, high float8 NOT NULL',
  number: 'k "char" NOT NULL, sys text, unit text COLLATE "C", value float8 NOT NULL',
  reference:
    'ttype text COLLATE "C", tid text COLLATE "C", url text COLLATE "C", isys text, ival text COLLATE "C"',
  uri: 'value text COLLATE "C" NOT NULL',
  composite: `rep int NOT NULL, n smallint NOT NULL, system text COLLATE "C", tvalue text COLLATE "C",
    norm text COLLATE "C", low float8, high float8, nk "char", nsys text, unit text COLLATE "C", num float8,
    ttype text COLLATE "C", tid text COLLATE "C", url text COLLATE "C", uri text COLLATE "C"`,
};

/** The value columns of each index table, in the order of the row tuples of `index-rows.ts`. */
export const VALUE_COLUMNS: Record<IndexTable, Array<[name: string, pgType: string]>> = {
  token: [
    ['system', 'text'],
    ['value', 'text'],
    ['tsys', 'text'],
    ['tcode', 'text'],
  ],
  tokenText: [['text', 'text']],
  string: [
    ['norm', 'text'],
    ['exact', 'text'],
  ],
  date: [
    ['low', 'float8'],
    ['high', 'float8'],
  ],
  number: [
    ['k', '"char"'],
    ['sys', 'text'],
    ['unit', 'text'],
    ['value', 'float8'],
  ],
  reference: [
    ['ttype', 'text'],
    ['tid', 'text'],
    ['url', 'text'],
    ['isys', 'text'],
    ['ival', 'text'],
  ],
  uri: [['value', 'text']],
  composite: [
    ['rep', 'int4'],
    ['n', 'int2'],
    ['system', 'text'],
    ['tvalue', 'text'],
    ['norm', 'text'],
    ['low', 'float8'],
    ['high', 'float8'],
    ['nk', '"char"'],
    ['nsys', 'text'],
    ['unit', 'text'],
    ['num', 'float8'],
    ['ttype', 'text'],
    ['tid', 'text'],
    ['url', 'text'],
    ['uri', 'text'],
  ],
};

/** Lookup indexes per table (besides `(type, id)` for removal); each entry is a column list. */
const INDEXES: Record<IndexTable, string[]> = {
  token: ['type, param, value, system'],
  tokenText: ['type, param, text'],
  string: ['type, param, norm'],
  date: ['type, param, low, high', 'type, param, high, low'],
  number: ['type, param, k, unit, value'],
  reference: ['type, param, ttype, tid'],
  uri: ['type, param, value'],
  // The first component (a token in every R4 composite but one) drives a search; the others join on (type, id).
  composite: ['type, param, n, tvalue, system'],
};

/**
 * Create the tables and indexes of `generation` when missing.
 * `trigramOps` (e.g. `"public".gin_trgm_ops`) adds a trigram index for `:contains`.
 */
export async function createSearchTables(
  client: PoolClient,
  tables: SearchTables,
  rawName: (suffix: string) => string,
  trigramOps: string | undefined,
): Promise<void> {
  const index = (suffix: string, n: string | number) => quoteIdent(`${rawName(suffix)}_i${n}`);
  const ddl: string[] = [
    `CREATE TABLE IF NOT EXISTS ${tables.res} (
       type text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
       c bigint NOT NULL, v bigint NOT NULL, sort jsonb NOT NULL, present text[] NOT NULL,
       ft_text tsvector, ft_content tsvector, PRIMARY KEY (type, id))`,
    `CREATE INDEX IF NOT EXISTS ${index('res', 1)} ON ${tables.res} USING gin (present)`,
    `CREATE INDEX IF NOT EXISTS ${index('res', 2)} ON ${tables.res} USING gin (ft_text)`,
    `CREATE INDEX IF NOT EXISTS ${index('res', 3)} ON ${tables.res} USING gin (ft_content)`,
  ];
  for (const key of INDEX_TABLES) {
    const suffix = SUFFIX[key];
    const t = tables[key];
    ddl.push(
      `CREATE TABLE IF NOT EXISTS ${t} (type text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
         param text COLLATE "C" NOT NULL, ${COLUMNS[key]})`,
      `CREATE INDEX IF NOT EXISTS ${index(suffix, 0)} ON ${t} (type, id)`,
      ...INDEXES[key].map(
        (cols, i) => `CREATE INDEX IF NOT EXISTS ${index(suffix, i + 1)} ON ${t} (${cols})`,
      ),
      // type and param are far from independent: without joint statistics lookups are estimated at one row.
      `CREATE STATISTICS IF NOT EXISTS ${index(suffix, 'st')} (mcv, dependencies) ON type, param FROM ${t}`,
    );
  }
  if (trigramOps)
    ddl.push(
      `CREATE INDEX IF NOT EXISTS ${index('str', 'trgm')} ON ${tables.string} USING gin (norm ${trigramOps})`,
    );
  await client.query(ddl.join(';\n'));
}

/** Drop the tables of a generation. */
export async function dropSearchTables(client: PoolClient, tables: SearchTables): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${Object.values(tables).join(', ')}`);
}

/**
 * Make `pg_trgm` available when the database allows it; returns the
 * schema-qualified `gin_trgm_ops` operator class, or undefined.
 */
export async function trigramOperatorClass(
  query: (sql: string) => Promise<{ rows: Array<Record<string, unknown>> }>,
): Promise<string | undefined> {
  const find = async () => {
    const { rows } = await query(
      `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm'`,
    );
    return rows[0] ? `${quoteIdent(String(rows[0].schema))}.gin_trgm_ops` : undefined;
  };
  const found = await find();
  if (found) return found;
  try {
    await query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  } catch {
    // not allowed (or a concurrent create): use what is there
  }
  return find().catch(() => undefined);
}
