/**
 * The asynchronous step before parsing a search: find the ValueSets and
 * CodeSystems that `:in` / `:not-in` / `:below` / `:above` refer to, read
 * the stored ones (with the ValueSets and CodeSystems they import), and hand
 * the parser a synchronous {@link TerminologyLookup}.
 */
import type { CodeSystem, ValueSet } from 'fhir/r4';
import { type RequestContext, requestContext } from '../context/request-context.js';
import { hierarchyTarget, TERMINOLOGY_MODIFIERS } from '../search/query/parse-terminology.js';
import { splitEscaped, unescapeValue } from '../search/query/parse-values.js';
import type { SearchEngine, SearchParams, SearchRequest } from '../search/types.js';
import type { ResourceStore } from '../store/create-store.js';
import type { StoredResource } from '../store/types.js';
import { canonicalKey, parseCanonical, unversioned, valueSetKey } from './canonical.js';
import { officialCodeSystem, officialValueSet } from './official.js';
import { type StoredTerminology, storedTerminologyLookup } from './stored.js';
import type { TerminologyLookup } from './types.js';
import { pickVersion } from './versions.js';

/** Where stored terminology resources are read from. */
export interface TerminologySource {
  /**
   * Every current ValueSet or CodeSystem whose canonical `url` is `url`
   * (given without a version), whatever its `version`: the caller picks one
   * (see {@link pickVersion}).
   */
  allByUrl(type: 'ValueSet' | 'CodeSystem', url: string): Promise<Array<ValueSet | CodeSystem>>;
  /** The current ValueSet with this id, if any. */
  valueSetById(id: string): Promise<ValueSet | undefined>;
  /** The current CodeSystem with this id, if any (for instance-level operations). */
  codeSystemById?(id: string): Promise<CodeSystem | undefined>;
}

/** Nested imports followed at most this deep (a cycle is reported by the expansion). */
const MAX_DEPTH = 8;

/**
 * Reads stored ValueSets and CodeSystems from a {@link TerminologySource} into
 * a {@link StoredTerminology}, following what a ValueSet needs to expand (its
 * imports and the code systems it enumerates), each URL read once. Official
 * definitions need no read. `lookup()` is the synchronous view of what was read.
 */
export interface TerminologyLoader {
  /** What was read so far. */
  readonly stored: StoredTerminology;
  /** Read a ValueSet by `ValueSet/<id>` or canonical (`url|version`, or `url` for the most recent), with its needs. */
  valueSet(ref: string): Promise<void>;
  /** Read what a ValueSet resource (e.g. one posted inline) needs to expand. */
  needsOf(vs: ValueSet): Promise<void>;
  /** Read a CodeSystem by canonical (`url|version`, or `url` for the most recent). */
  codeSystem(canonical: string): Promise<void>;
  /** Official definitions first, then what was read. */
  lookup(): TerminologyLookup;
}

/**
 * A {@link TerminologyLoader} over `source`.
 *
 * @example
 * ```ts
 * const loader = terminologyLoader(engineTerminologySource(engine, store, ctx, access));
 * await loader.valueSet('http://x/vs|2.0');
 * expandValueSet(loader.lookup().valueSet('http://x/vs|2.0')!, loader.lookup());
 * ```
 */
export function terminologyLoader(source: TerminologySource): TerminologyLoader {
  const stored: StoredTerminology = { valueSets: new Map(), codeSystems: new Map() };
  // Every version of a URL is read once, however many references name it.
  const read = new Map<string, Promise<Array<ValueSet | CodeSystem>>>();
  const versionsOf = (type: 'ValueSet' | 'CodeSystem', url: string) => {
    let found = read.get(`${type} ${url}`);
    if (!found) {
      found = source.allByUrl(type, url);
      read.set(`${type} ${url}`, found);
    }
    return found;
  };
  const loadCodeSystem = async (canonical: string): Promise<void> => {
    const { url, version } = parseCanonical(canonical);
    const key = canonicalKey(url, version);
    if (officialCodeSystem(key) || stored.codeSystems.has(key)) return;
    const all = await versionsOf('CodeSystem', url);
    const cs = pickVersion(
      all.filter((r): r is CodeSystem => r.resourceType === 'CodeSystem'),
      version,
    );
    if (cs) stored.codeSystems.set(key, cs);
  };
  const loadNeeds = async (vs: ValueSet, depth: number): Promise<void> => {
    if (vs.expansion?.contains) return;
    for (const inc of [...(vs.compose?.include ?? []), ...(vs.compose?.exclude ?? [])]) {
      for (const imported of inc.valueSet ?? []) await loadValueSet(imported, depth + 1);
      if (inc.system && !inc.concept) await loadCodeSystem(canonicalKey(inc.system, inc.version));
    }
  };
  const loadValueSet = async (ref: string, depth: number): Promise<void> => {
    const key = valueSetKey(ref);
    if (depth > MAX_DEPTH || stored.valueSets.has(key)) return;
    let vs: ValueSet | undefined;
    if (key.startsWith('ValueSet/')) vs = await source.valueSetById(key.slice('ValueSet/'.length));
    else {
      if (officialValueSet(key)) return;
      const { url, version } = parseCanonical(key);
      const all = await versionsOf('ValueSet', url);
      vs = pickVersion(
        all.filter((r): r is ValueSet => r.resourceType === 'ValueSet'),
        version,
      );
    }
    if (vs?.resourceType !== 'ValueSet') return;
    stored.valueSets.set(key, vs);
    await loadNeeds(vs, depth);
  };
  return {
    stored,
    valueSet: (ref) => loadValueSet(ref, 0),
    needsOf: (vs) => loadNeeds(vs, 0),
    codeSystem: loadCodeSystem,
    lookup: () => storedTerminologyLookup(stored),
  };
}

/**
 * A lookup for the search `params` (official definitions plus the stored
 * resources they refer to), or `undefined` when no parameter needs one.
 * A canonical `url|version` reads the stored resource with that version,
 * `url` alone the most recent one ({@link pickVersion}); an official URL
 * without a version, or with the official one, needs no read.
 *
 * @example
 * ```ts
 * const terminology = await resolveSearchTerminology([['code:in', 'http://x/vs|2.0']], engineTerminologySource(engine, store));
 * await engine.search({ resourceType: 'Observation', params, terminology }, ctx);
 * ```
 */
export async function resolveSearchTerminology(
  params: SearchParams,
  source: TerminologySource,
): Promise<TerminologyLookup | undefined> {
  const wanted = params.flatMap(([name, raw]) => {
    const modifier = name.slice(name.lastIndexOf(':') + 1);
    return name.includes(':') && TERMINOLOGY_MODIFIERS.includes(modifier) ? [{ modifier, raw }] : [];
  });
  if (wanted.length === 0) return undefined;
  const loader = terminologyLoader(source);
  for (const { modifier, raw } of wanted) {
    for (const part of splitEscaped(raw, ',')) {
      if (modifier === 'in' || modifier === 'not-in') await loader.valueSet(unescapeValue(part));
      else {
        const target = hierarchyTarget(part);
        if (target) await loader.codeSystem(target.system);
      }
    }
  }
  return loader.lookup();
}

/** The caller's access rules, applied to the stored terminology a search reads (see `AccessPolicy`). */
export interface TerminologyAccess {
  restrictSearch?(request: SearchRequest): SearchRequest | Promise<SearchRequest>;
  canRead?(resource: StoredResource): boolean | Promise<boolean>;
}

/** Pages of `url` search results read at most (each as large as the engine allows). */
const MAX_PAGES = 100;

/**
 * A {@link TerminologySource} over a search engine (canonical URL via the
 * `url` search parameter, every page) and the store (ids), seeing only what
 * `access` lets the caller read. Without a search engine only reads by id find anything.
 *
 * @example
 * ```ts
 * const source = engineTerminologySource(server.search, server.store);
 * ```
 */
export function engineTerminologySource(
  search: SearchEngine | undefined,
  store: Pick<ResourceStore, 'read'>,
  ctx: RequestContext = requestContext(),
  access: TerminologyAccess = {},
): TerminologySource {
  const readable = async (r: StoredResource | undefined) =>
    !!r && !r.deleted && (!access.canRead || (await access.canRead(r)));
  const byId = async <T>(type: 'ValueSet' | 'CodeSystem', id: string): Promise<T | undefined> => {
    const found = await store.read(type, id);
    return (await readable(found)) ? (found!.resource as T | undefined) : undefined;
  };
  return {
    async allByUrl(type, url) {
      const out: Array<ValueSet | CodeSystem> = [];
      if (!search) return out;
      let request: SearchRequest = {
        resourceType: type,
        params: [
          ['url', url],
          ['_count', '1000'],
        ],
      };
      if (access.restrictSearch) request = await access.restrictSearch(request);
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await search.search(request, ctx);
        for (const m of result.matches) {
          const r = m.resource as ValueSet | CodeSystem | undefined;
          if (r?.url !== undefined && unversioned(r.url) === url && (await readable(m))) out.push(r);
        }
        // The next page's parameters are the (restricted) query's own, with the engine's cursor.
        if (!result.next) break;
        request = { ...request, params: result.next };
      }
      return out;
    },
    valueSetById: (id) => byId<ValueSet>('ValueSet', id),
    codeSystemById: (id) => byId<CodeSystem>('CodeSystem', id),
  };
}
