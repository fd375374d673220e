/**
 * The LMDB {@link SearchEngine}: parses a request with core's query layer,
 * plans it over the search index projection, sorts, pages with an opaque
 * snapshot cursor, reads the matches from the store and adds includes.
 */
import type {
  ProjectorRuntime,
  RequestContext,
  ResourceStore,
  SearchEngine,
  SearchRequest,
  SearchResult,
  SupportedSearchParam,
} from '@fhirstream/core';
import {
  CURSOR_PARAM,
  compareSortTuples,
  decodeCursor,
  EngineParameters,
  encodeCursor,
  type ParsedSearch,
  queryFingerprint,
  type SearchParameterDefinition,
  SearchParameterRegistry,
  type SortKey,
  type SortTuple,
} from '@fhirstream/core';
import type { LmdbBackend } from '../lmdb-backend.js';
import { FullTextIndexes } from './full-text.js';
import { includedResources } from './includes.js';
import { type ResourceRecord, sortKeyOf } from './index-keys.js';
import { highWater } from './index-writer.js';
import { countClauses, evaluateClauses, indexedTypes, type PlanContext, recordOf } from './planner.js';
import {
  SEARCH_INDEX_PROJECTOR,
  type SearchIndexProjector,
  type SearchIndexProjectorOptions,
  searchIndexProjector,
} from './search-projector.js';

/** Options of {@link createLmdbSearchEngine}. */
export interface LmdbSearchEngineOptions {
  /** The backend of the store (the index lives in its LMDB environment). */
  backend: LmdbBackend;
  store: ResourceStore;
  /** Search parameters (default: the official R4 ones); runtime additions go through {@link LmdbSearchEngine.addSearchParameter}. */
  registry?: SearchParameterRegistry;
  /** The runtime running {@link SearchEngine.projectors}, needed to backfill runtime search parameters. */
  runtime?: ProjectorRuntime;
  /** Page size without `_count` (default 20). */
  defaultCount?: number;
  /** Largest `_count` (default 1000). */
  maxCount?: number;
  /** Where large batches are indexed (default: a worker thread; see {@link SearchIndexProjectorOptions}). */
  worker?: SearchIndexProjectorOptions['worker'];
}

/** The LMDB search engine, with runtime search parameters. */
export interface LmdbSearchEngine extends SearchEngine {
  readonly registry: SearchParameterRegistry;
  /** The index projector (also in `projectors`). */
  readonly indexProjector: SearchIndexProjector;
  /**
   * Register a search parameter and backfill it: the index is rebuilt in the
   * background (the old generation keeps serving). Until that is done, a
   * search using it gets a warning (lenient) or `FhirError('not-ready')` (strict).
   * Resolves when the parameter is fully indexed.
   */
  addSearchParameter(definition: SearchParameterDefinition, runtime?: ProjectorRuntime): Promise<void>;
  /** Stop the index worker thread; call after the projector runtime stopped. */
  close(): Promise<void>;
}

/**
 * Create the LMDB search engine; run its `projectors` in the projector runtime.
 *
 * @example
 * ```ts
 * const backend = openLmdbBackend({ path: './.data' });
 * const store = createStore(backend);
 * const runtime = createProjectorRuntime(store);
 * const search = createLmdbSearchEngine({ backend, store, runtime });
 * for (const p of search.projectors) await runtime.register(p);
 * const { seq } = await store.commit([{ op: 'create', resource: { resourceType: 'Patient', gender: 'male' } }]);
 * await runtime.waitFor(seq);
 * const page = await search.search({ resourceType: 'Patient', params: [['gender', 'male']] }, requestContext());
 * ```
 */
export function createLmdbSearchEngine(options: LmdbSearchEngineOptions): LmdbSearchEngine {
  const { backend, store } = options;
  const registry = options.registry ?? new SearchParameterRegistry();
  const fullText = new FullTextIndexes((type, id, vid) => backend.readVersionSync(type, id, vid));
  const projector = searchIndexProjector(
    backend,
    registry,
    fullText,
    options.worker !== undefined ? { worker: options.worker } : {},
  );
  const parameters = new EngineParameters(registry, SEARCH_INDEX_PROJECTOR);

  const engine: LmdbSearchEngine = {
    registry,
    indexProjector: projector,
    projectors: [projector],

    parametersFor: (resourceType): SupportedSearchParam[] => parameters.supported(resourceType),

    addSearchParameter: (definition, runtime = options.runtime) => parameters.add(definition, runtime),

    close: () => projector.close(),

    async search(request: SearchRequest, _ctx: RequestContext): Promise<SearchResult> {
      const parsed = parameters.parse(request, options);
      const ctx: PlanContext = {
        db: projector.db(),
        ids: projector.ids(),
        generation: projector.activeGeneration,
        fullText,
        store,
        registry,
        records: new Map(),
        keys: new Map(),
        compiled: new WeakMap(),
        now: Date.now(),
      };
      const scope = request.compartment
        ? `${request.compartment.resourceType}/${request.compartment.id}/${request.resourceType ?? '*'}`
        : (request.resourceType ?? '*');
      const fingerprint = queryFingerprint(scope, parsed.selfParams);
      const cursor = parsed.cursor !== undefined ? decodeCursor(parsed.cursor, fingerprint) : undefined;
      const snapshot = cursor?.snapshot ?? (await store.headSeq());

      // Nothing indexed after the snapshot: no record needs checking against it.
      const current = highWater(ctx.db) <= snapshot;
      if (parsed.summary === 'count' && current) {
        const total = countOnly(ctx, parsed);
        if (total !== undefined)
          return {
            matches: [],
            included: [],
            total,
            selfParams: parsed.selfParams,
            warnings: parsed.warnings,
          };
      }
      const rows = await matchingRows(ctx, parsed, snapshot, current);
      const result: SearchResult = {
        matches: [],
        included: [],
        selfParams: parsed.selfParams,
        warnings: parsed.warnings,
      };
      if (parsed.total !== 'none') result.total = rows.length;
      if (parsed.summary === 'count') {
        result.total = rows.length;
        return result;
      }
      const descending = parsed.sort.map((k) => k.descending);
      rows.sort((a, b) => compareSortTuples(a, b, descending));

      let start = 0;
      if (cursor?.direction === 'next') {
        start = rows.findIndex((r) => compareSortTuples(r, cursor.key, descending) > 0);
        if (start < 0) start = rows.length;
      } else if (cursor?.direction === 'previous') {
        let end = rows.findIndex((r) => compareSortTuples(r, cursor.key, descending) >= 0);
        if (end < 0) end = rows.length;
        start = Math.max(0, end - parsed.count);
      }
      const page = rows.slice(start, start + parsed.count);
      const link = (direction: 'next' | 'previous', key: SortTuple) => [
        ...parsed.selfParams,
        [CURSOR_PARAM, encodeCursor({ snapshot, direction, key, query: fingerprint })] as [string, string],
      ];
      if (page.length > 0 && start + page.length < rows.length)
        result.next = link('next', page[page.length - 1]!);
      if (page.length > 0 && start > 0) result.previous = link('previous', page[0]!);

      for (const row of page) {
        const stored = await store.read(row[row.length - 2] as string, row[row.length - 1] as string);
        if (stored && !stored.deleted) result.matches.push(stored);
      }
      result.included = await includedResources(
        ctx,
        registry,
        result.matches,
        parsed.include,
        parsed.revinclude,
      );
      return result;
    },
  };
  return engine;
}

/**
 * `_summary=count` answered by counting index keys (see `countClauses`), when
 * the search is over one type (and nothing was indexed after its snapshot).
 */
function countOnly(ctx: PlanContext, parsed: ParsedSearch): number | undefined {
  const [tq, ...more] = parsed.types;
  if (!tq || more.length > 0 || tq.resourceType === '*') return undefined;
  return countClauses(ctx, tq.resourceType, tq.clauses);
}

/**
 * Every matching row as its sort tuple (sort values, then type and id),
 * without rows created after `snapshot` (`current`: nothing was indexed
 * after it).
 */
async function matchingRows(
  ctx: PlanContext,
  parsed: ParsedSearch,
  snapshot: number,
  current: boolean,
): Promise<SortTuple[]> {
  const rows: SortTuple[] = [];
  // No record to check against the snapshot and no sort values needed: the ids alone make the rows.
  const idsSuffice = current && parsed.sort.length === 0;
  for (const tq of parsed.types) {
    const types = tq.resourceType === '*' ? indexedTypes(ctx) : [tq.resourceType];
    for (const type of types) {
      const ids = await evaluateClauses(ctx, type, tq.clauses);
      if (idsSuffice) {
        for (const id of ids) rows.push([type, id]);
        continue;
      }
      for (const id of ids) {
        const record = recordOf(ctx, type, id);
        if (!record || record.c > snapshot) continue;
        rows.push([...parsed.sort.map((k) => sortValue(k, record, id)), type, id]);
      }
    }
  }
  return rows;
}

function sortValue(key: SortKey, record: ResourceRecord, id: string): string | number | null {
  if (key.code === '_id') return id;
  return sortKeyOf(record, key.code, key.descending);
}
