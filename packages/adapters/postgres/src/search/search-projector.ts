/**
 * The PostgreSQL search index projector: per batch, the rows of the
 * resources' previous versions are removed and the rows of their new versions
 * inserted, batched with `unnest`, in the transaction that also saves the
 * checkpoint (`postgresProjector`). Extraction runs before the transaction.
 */
import {
  type ChangeEvent,
  groupByResource,
  lifeInBatch,
  type SearchParameterRegistry,
} from '@fhirstream/core';
import type { PoolClient } from 'pg';
import type { PostgresBackend } from '../postgres-backend.js';
import { type PostgresProjector, postgresProjector } from '../postgres-projector.js';
import { type IndexRows, indexRows, type RecordRow } from './index-rows.js';
import {
  createSearchTables,
  dropSearchTables,
  INDEX_TABLES,
  type SearchTables,
  searchTables,
  trigramOperatorClass,
  VALUE_COLUMNS,
} from './search-tables.js';

/** Name of the search index projector (for `runtime.rebuild` and `waitFor`). */
export const SEARCH_INDEX_PROJECTOR = 'search-index';

/** Bump when the table layout changes: the runtime then rebuilds the index from seq 1. */
const LAYOUT_VERSION = 2;

/** Resources written before the first `ANALYZE` of a generation's tables (then at each doubling). */
const ANALYZE_FIRST = 500;

/** The search index projector, with the tables of each generation. */
export interface PostgresSearchProjector extends PostgresProjector {
  /** The tables of `generation` (default: the active one). */
  tables(generation?: number): SearchTables;
  /** Whether `:contains` has a trigram index (pg_trgm is available). */
  trigram(): Promise<boolean>;
}

interface Planned {
  type: string;
  id: string;
  seq: number;
  /** Undefined when the last event of the batch deletes the resource. */
  rows?: IndexRows;
  record?: RecordRow;
  /** The seq at which the resource's current life began, when it began in this batch. */
  lifeStart?: number;
  /** The first event of the batch created it (or a delete preceded the last write): its life starts here. */
  createdHere: boolean;
  /** Nothing of the resource can be in the index yet (first event creates version 1). */
  fresh: boolean;
}

/**
 * The projector that feeds the PostgreSQL search index.
 *
 * @example
 * ```ts
 * const projector = postgresSearchProjector(backend, new SearchParameterRegistry());
 * await runtime.register(projector);
 * await backend.pool.query(`SELECT id FROM ${projector.tables().token} WHERE param = 'gender' AND value = 'male'`);
 * ```
 */
export function postgresSearchProjector(
  backend: PostgresBackend,
  registry: SearchParameterRegistry,
): PostgresSearchProjector {
  let trigram: Promise<string | undefined> | undefined;
  const written = new Map<number, number>();
  const analyzedAt = new Map<number, number>();
  const trigramOps = () => (trigram ??= trigramOperatorClass((sql) => backend.pool.query(sql)));
  const rawName = (generation: number) => (suffix: string) =>
    `p_${SEARCH_INDEX_PROJECTOR}_g${generation}_${suffix}`;
  const projector: PostgresProjector = postgresProjector(backend, {
    name: SEARCH_INDEX_PROJECTOR,
    version: LAYOUT_VERSION,
    async create(client, generation) {
      const ops = await trigramOps();
      await createSearchTables(client, tablesOf(generation), rawName(generation), ops);
    },
    drop: (client, generation) => dropSearchTables(client, tablesOf(generation)),
    project(batch, ctx) {
      const planned = plan(batch, registry);
      return async (client) => {
        const tables = tablesOf(ctx.generation);
        await write(client, tables, planned);
        // Fresh tables have no statistics, and the planner then picks nested loops over
        // thousands of rows: analyze each time the indexed resources doubled (in this process).
        const n = (written.get(ctx.generation) ?? 0) + planned.length;
        written.set(ctx.generation, n);
        const next = analyzedAt.get(ctx.generation) ?? ANALYZE_FIRST;
        if (n >= next) {
          await client.query(`ANALYZE ${Object.values(tables).join(', ')}`);
          analyzedAt.set(ctx.generation, n * 2);
        }
      };
    },
  });
  const tablesOf = (generation: number) => searchTables((s, g) => projector.table(s, g), generation);
  return Object.assign(projector, {
    tables: (generation = projector.activeGeneration) => tablesOf(generation),
    trigram: async () => (await trigramOps()) !== undefined,
  });
}

function plan(batch: ChangeEvent[], registry: SearchParameterRegistry): Planned[] {
  const out: Planned[] = [];
  for (const events of groupByResource(batch)) {
    const first = events[0]!;
    const last = events[events.length - 1]!;
    const p: Planned = {
      type: last.resourceType,
      id: last.id,
      seq: last.seq,
      fresh: first.action === 'create' && first.versionId === '1',
      ...lifeInBatch(events),
    };
    if (last.action !== 'delete' && last.resource) {
      const { rows, record } = indexRows(last.resource, last.id, last.lastUpdated, registry);
      p.rows = rows;
      p.record = record;
    }
    out.push(p);
  }
  return out;
}

const unnestKeys = `SELECT * FROM unnest($1::text[], $2::text[])`;

async function write(client: PoolClient, t: SearchTables, planned: Planned[]): Promise<void> {
  const stale = planned.filter((p) => !p.fresh);
  if (stale.length > 0) {
    const keys = [stale.map((p) => p.type), stale.map((p) => p.id)];
    for (const table of INDEX_TABLES)
      await client.query(`DELETE FROM ${t[table]} WHERE (type, id) IN (${unnestKeys})`, keys);
    const gone = stale.filter((p) => !p.rows);
    if (gone.length > 0)
      await client.query(`DELETE FROM ${t.res} WHERE (type, id) IN (${unnestKeys})`, [
        gone.map((p) => p.type),
        gone.map((p) => p.id),
      ]);
  }
  const live = planned.filter((p) => p.rows);
  for (const table of INDEX_TABLES) {
    const cols = VALUE_COLUMNS[table];
    const arrays: unknown[][] = [[], [], [], ...cols.map(() => [])];
    for (const p of live) {
      for (const row of p.rows![table] as unknown[][]) {
        arrays[0]!.push(p.type);
        arrays[1]!.push(p.id);
        for (let i = 0; i < row.length; i++) arrays[i + 2]!.push(row[i]);
      }
    }
    if (arrays[0]!.length === 0) continue;
    const types = ['text', 'text', 'text', ...cols.map(([, type]) => type)];
    await client.query(
      `INSERT INTO ${t[table]} (type, id, param, ${cols.map(([name]) => name).join(', ')})
       SELECT * FROM unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`,
      arrays,
    );
  }
  // The seq the life began: kept from the record unless the life (re)started in this batch.
  for (const restarted of [true, false]) {
    const rows = live.filter((p) => p.createdHere === restarted);
    if (rows.length === 0) continue;
    await client.query(
      `INSERT INTO ${t.res} AS r (type, id, c, v, sort, present, ft_text, ft_content)
       SELECT type, id, c, v, sort::jsonb, string_to_array(present, ' '),
              to_tsvector('simple', text), to_tsvector('simple', content)
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])
           AS x(type, id, c, v, sort, present, text, content)
       ON CONFLICT (type, id) DO UPDATE SET
         ${restarted ? 'c = EXCLUDED.c,' : ''} v = EXCLUDED.v, sort = EXCLUDED.sort, present = EXCLUDED.present,
         ft_text = EXCLUDED.ft_text, ft_content = EXCLUDED.ft_content`,
      [
        rows.map((p) => p.type),
        rows.map((p) => p.id),
        rows.map((p) => p.lifeStart ?? p.seq),
        rows.map((p) => p.seq),
        rows.map((p) => JSON.stringify(p.record!.sort)),
        rows.map((p) => p.record!.present.join(' ')),
        rows.map((p) => p.record!.text),
        rows.map((p) => p.record!.content),
      ],
    );
  }
}
