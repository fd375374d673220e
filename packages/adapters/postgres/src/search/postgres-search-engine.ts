/**
 * The PostgreSQL {@link SearchEngine}: parses a request with core's query
 * layer, translates the clauses to one SQL query over the search tables
 * (PostgreSQL plans it), sorts from the record table and pages by key with
 * core's snapshot cursors, then reads the matches from the store and adds
 * includes.
 */
import {
  CURSOR_PARAM,
  decodeCursor,
  EngineParameters,
  encodeCursor,
  type ParsedSearch,
  type ProjectorRuntime,
  queryFingerprint,
  type RequestContext,
  type ResourceStore,
  type SearchEngine,
  type SearchParameterDefinition,
  SearchParameterRegistry,
  type SearchRequest,
  type SearchResult,
  type SortKey,
  type SortTuple,
  type StoredResource,
  type SupportedSearchParam,
} from '@fhirstream/core';
import type { PostgresBackend } from '../postgres-backend.js';
import { type ClauseEnv, clausesSql, SqlParams } from './clause-sql.js';
import { includedResources } from './includes.js';
import {
  type PostgresSearchProjector,
  postgresSearchProjector,
  SEARCH_INDEX_PROJECTOR,
} from './search-projector.js';
import type { SearchTables } from './search-tables.js';

/** Options of {@link createPostgresSearchEngine}. */
export interface PostgresSearchEngineOptions {
  /** The backend of the store (the index lives in its schema). */
  backend: PostgresBackend;
  store: ResourceStore;
  /** Search parameters (default: the official R4 ones); runtime additions go through {@link PostgresSearchEngine.addSearchParameter}. */
  registry?: SearchParameterRegistry;
  /** The runtime running {@link SearchEngine.projectors}, needed to backfill runtime search parameters. */
  runtime?: ProjectorRuntime;
  /** Page size without `_count` (default 20). */
  defaultCount?: number;
  /** Largest `_count` (default 1000). */
  maxCount?: number;
}

/** The PostgreSQL search engine, with runtime search parameters. */
export interface PostgresSearchEngine extends SearchEngine {
  readonly registry: SearchParameterRegistry;
  /** The index projector (also in `projectors`). */
  readonly indexProjector: PostgresSearchProjector;
  /**
   * Register a search parameter and backfill it: the index is rebuilt into a
   * new generation in the background (the old one keeps serving). Until then a
   * search using it gets a warning (lenient) or `FhirError('not-ready')` (strict).
   * Resolves when the parameter is fully indexed.
   */
  addSearchParameter(definition: SearchParameterDefinition, runtime?: ProjectorRuntime): Promise<void>;
}

const NUMERIC_SORT = new Set(['date', 'number', 'quantity']);
const UNDEFINED_TABLE = '42P01';

/**
 * Create the PostgreSQL search engine; run its `projectors` in the projector runtime.
 *
 * @example
 * ```ts
 * const backend = await openPostgresBackend({ connectionString: process.env.DATABASE_URL });
 * const store = createStore(backend);
 * const runtime = createProjectorRuntime(store);
 * const search = createPostgresSearchEngine({ backend, store, runtime });
 * for (const p of search.projectors) await runtime.register(p);
 * const { seq } = await store.commit([{ op: 'create', resource: { resourceType: 'Patient', gender: 'male' } }]);
 * await runtime.waitFor(seq);
 * const page = await search.search({ resourceType: 'Patient', params: [['gender', 'male']] }, requestContext());
 * ```
 */
export function createPostgresSearchEngine(options: PostgresSearchEngineOptions): PostgresSearchEngine {
  const { backend, store } = options;
  const registry = options.registry ?? new SearchParameterRegistry();
  const projector = postgresSearchProjector(backend, registry);
  const parameters = new EngineParameters(registry, SEARCH_INDEX_PROJECTOR);

  const run = async (
    request: SearchRequest,
    parsed: ParsedSearch,
    tables: SearchTables,
  ): Promise<SearchResult> => {
    const scope = request.compartment
      ? `${request.compartment.resourceType}/${request.compartment.id}/${request.resourceType ?? '*'}`
      : (request.resourceType ?? '*');
    const fingerprint = queryFingerprint(scope, parsed.selfParams);
    const cursor = parsed.cursor !== undefined ? decodeCursor(parsed.cursor, fingerprint) : undefined;
    const snapshot = cursor?.snapshot ?? (await store.headSeq());

    const q = new SqlParams();
    const env: ClauseEnv = { tables, store, now: Date.now() };
    const perType: string[] = [];
    for (const tq of parsed.types) {
      const clauses = await clausesSql(q, env, tq.resourceType, 'r', tq.clauses);
      perType.push(
        tq.resourceType === '*' ? `(${clauses})` : `(r.type = ${q.p(tq.resourceType)} AND ${clauses})`,
      );
    }
    const where = `(${perType.join(' OR ')}) AND r.c <= ${q.p(snapshot)}`;
    const countParams = [...q.values];

    const result: SearchResult = {
      matches: [],
      included: [],
      selfParams: parsed.selfParams,
      warnings: parsed.warnings,
    };
    const wantTotal = parsed.total !== 'none' || parsed.summary === 'count';
    const total = wantTotal
      ? backend.pool
          .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${tables.res} r WHERE ${where}`, countParams)
          .then((res) => res.rows[0]!.n)
      : undefined;
    // Awaited below; until then a failure must not surface as an unhandled rejection.
    total?.catch(() => {});
    if (parsed.summary === 'count') {
      result.total = await total;
      return result;
    }

    const keys = sortExpressions(q, parsed.sort);
    const backwards = cursor?.direction === 'previous';
    const page = await pageRows(q, tables, where, keys, parsed.count, cursor?.key, backwards);
    const rows = page.rows;
    let hasNext: boolean;
    let hasPrevious: boolean;
    if (backwards) {
      hasPrevious = page.more;
      hasNext = rows.length > 0;
    } else {
      hasNext = page.more;
      hasPrevious = cursor !== undefined && rows.length > 0;
    }
    if (total !== undefined) result.total = await total;
    const link = (direction: 'next' | 'previous', key: SortTuple) => [
      ...parsed.selfParams,
      [CURSOR_PARAM, encodeCursor({ snapshot, direction, key, query: fingerprint })] as [string, string],
    ];
    if (rows.length > 0 && hasNext) result.next = link('next', rows[rows.length - 1]!);
    if (rows.length > 0 && hasPrevious) result.previous = link('previous', rows[0]!);

    const read = await Promise.all(
      rows.map((row) => store.read(row[row.length - 2] as string, row[row.length - 1] as string)),
    );
    result.matches = read.filter((s): s is StoredResource => s !== undefined && !s.deleted);
    result.included = await includedResources(
      backend.pool,
      tables,
      store,
      result.matches,
      parsed.include,
      parsed.revinclude,
    );
    return result;

    async function pageRows(
      q: SqlParams,
      t: SearchTables,
      w: string,
      k: SortExpr[],
      count: number,
      after: SortTuple | undefined,
      reverse: boolean,
    ): Promise<{ rows: SortTuple[]; more: boolean }> {
      if (count === 0) return { rows: [], more: false };
      const exprs = [
        ...k,
        { sql: 'r.type', numeric: false, descending: false },
        { sql: 'r.id', numeric: false, descending: false },
      ];
      const keyset = after ? ` AND (${keysetSql(q, exprs, after, reverse)})` : '';
      const order = exprs
        .map((e, i) => {
          const desc = e.descending !== reverse;
          return `s${i} ${desc ? 'DESC' : 'ASC'} NULLS ${reverse ? 'FIRST' : 'LAST'}`;
        })
        .join(', ');
      const { rows } = await backend.pool.query({
        text: `SELECT ${exprs.map((e, i) => `${e.sql} AS s${i}`).join(', ')} FROM ${t.res} r
                WHERE ${w}${keyset} ORDER BY ${order} LIMIT ${q.p(count + 1)}`,
        values: q.values,
        rowMode: 'array',
      });
      const tuples = (rows as SortTuple[]).slice(0, count);
      if (reverse) tuples.reverse();
      return { rows: tuples, more: rows.length > count };
    }
  };

  const engine: PostgresSearchEngine = {
    registry,
    indexProjector: projector,
    projectors: [projector],

    parametersFor: (resourceType): SupportedSearchParam[] => parameters.supported(resourceType),

    addSearchParameter: (definition, runtime = options.runtime) => parameters.add(definition, runtime),

    async search(request: SearchRequest, _ctx: RequestContext): Promise<SearchResult> {
      const parsed = parameters.parse(request, options);
      for (let attempt = 0; ; attempt++) {
        const generation = projector.activeGeneration;
        try {
          return await run(request, parsed, projector.tables(generation));
        } catch (error) {
          if ((error as { code?: string }).code !== UNDEFINED_TABLE) throw error;
          // Swapped to a new generation meanwhile: search that one.
          if (attempt === 0 && projector.activeGeneration !== generation) continue;
          // Nothing indexed yet: the tables are created with the first batch.
          return emptyResult(parsed);
        }
      }
    },
  };
  return engine;
}

function emptyResult(parsed: ParsedSearch): SearchResult {
  return {
    matches: [],
    included: [],
    selfParams: parsed.selfParams,
    warnings: parsed.warnings,
    ...(parsed.total !== 'none' || parsed.summary === 'count' ? { total: 0 } : {}),
  };
}

interface SortExpr {
  sql: string;
  numeric: boolean;
  descending: boolean;
}

/** The sort value of each key, from the record (ascending: lowest value, descending: highest). */
function sortExpressions(q: SqlParams, sort: SortKey[]): SortExpr[] {
  return sort.map((k) => {
    if (k.code === '_id') return { sql: 'r.id', numeric: false, descending: k.descending };
    const value = `(r.sort -> ${q.p(k.code)}::text ->> ${k.descending ? 1 : 0})`;
    const numeric = NUMERIC_SORT.has(k.type);
    return { sql: numeric ? `${value}::float8` : `${value} COLLATE "C"`, numeric, descending: k.descending };
  });
}

/**
 * Rows strictly after (or, `reverse`, before) `key` in the sort order, where
 * nulls sort last in both directions (like `compareSortTuples`).
 */
function keysetSql(q: SqlParams, exprs: SortExpr[], key: SortTuple, reverse: boolean): string {
  const value = (e: SortExpr, v: string | number) =>
    e.numeric ? `${q.p(v)}::float8` : `${q.p(String(v))}::text`;
  const alternatives: string[] = [];
  const equal: string[] = [];
  exprs.forEach((e, i) => {
    const v = key[i] ?? null;
    let beyond: string;
    if (v === null) beyond = reverse ? `${e.sql} IS NOT NULL` : 'FALSE';
    else {
      const forward = e.descending ? '<' : '>';
      const back = e.descending ? '>' : '<';
      beyond = reverse
        ? `${e.sql} ${back} ${value(e, v)}`
        : `(${e.sql} ${forward} ${value(e, v)} OR ${e.sql} IS NULL)`;
    }
    alternatives.push([...equal, beyond].join(' AND '));
    if (i < exprs.length - 1) equal.push(v === null ? `${e.sql} IS NULL` : `${e.sql} = ${value(e, v)}`);
  });
  return alternatives.map((a) => `(${a})`).join(' OR ');
}
