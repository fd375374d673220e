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
import { unversioned, valueSetKey } from './canonical.js';
import { officialCodeSystem, officialValueSet } from './official.js';
import { type StoredTerminology, storedTerminologyLookup } from './stored.js';
import type { TerminologyLookup } from './types.js';

/** Where stored terminology resources are read from. */
export interface TerminologySource {
  /** The current ValueSet or CodeSystem with this canonical `url`, if any. */
  byUrl(type: 'ValueSet' | 'CodeSystem', url: string): Promise<ValueSet | CodeSystem | undefined>;
  /** The current ValueSet with this id, if any. */
  valueSetById(id: string): Promise<ValueSet | undefined>;
}

/** Nested imports followed at most this deep (a cycle is reported by the expansion). */
const MAX_DEPTH = 8;

/**
 * A lookup for the search `params` (official definitions plus the stored
 * resources they refer to), or `undefined` when no parameter needs one.
 *
 * @example
 * ```ts
 * const terminology = await resolveSearchTerminology([['code:in', 'http://x/vs']], engineTerminologySource(engine, store));
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
  const stored: StoredTerminology = { valueSets: new Map(), codeSystems: new Map() };
  const loadCodeSystem = async (url: string): Promise<void> => {
    const key = unversioned(url);
    if (officialCodeSystem(key) || stored.codeSystems.has(key)) return;
    const cs = await source.byUrl('CodeSystem', key);
    if (cs?.resourceType === 'CodeSystem') stored.codeSystems.set(key, cs);
  };
  const loadValueSet = async (ref: string, depth: number): Promise<void> => {
    const key = valueSetKey(ref);
    if (
      depth > MAX_DEPTH ||
      stored.valueSets.has(key) ||
      (!key.startsWith('ValueSet/') && officialValueSet(key))
    )
      return;
    const vs = key.startsWith('ValueSet/')
      ? await source.valueSetById(key.slice('ValueSet/'.length))
      : await source.byUrl('ValueSet', key);
    if (vs?.resourceType !== 'ValueSet') return;
    stored.valueSets.set(key, vs);
    if (vs.expansion?.contains) return;
    for (const inc of [...(vs.compose?.include ?? []), ...(vs.compose?.exclude ?? [])]) {
      for (const imported of inc.valueSet ?? []) await loadValueSet(imported, depth + 1);
      if (inc.system && !inc.concept) await loadCodeSystem(inc.system);
    }
  };
  for (const { modifier, raw } of wanted) {
    for (const part of splitEscaped(raw, ',')) {
      if (modifier === 'in' || modifier === 'not-in') await loadValueSet(unescapeValue(part), 0);
      else {
        const target = hierarchyTarget(part);
        if (target) await loadCodeSystem(target.system);
      }
    }
  }
  return storedTerminologyLookup(stored);
}

/** The caller's access rules, applied to the stored terminology a search reads (see `AccessPolicy`). */
export interface TerminologyAccess {
  restrictSearch?(request: SearchRequest): SearchRequest | Promise<SearchRequest>;
  canRead?(resource: StoredResource): boolean | Promise<boolean>;
}

/**
 * A {@link TerminologySource} over a search engine (canonical URL via the
 * `url` search parameter) and the store (ids), seeing only what `access`
 * lets the caller read.
 *
 * @example
 * ```ts
 * const source = engineTerminologySource(server.search, server.store);
 * ```
 */
export function engineTerminologySource(
  search: SearchEngine,
  store: Pick<ResourceStore, 'read'>,
  ctx: RequestContext = requestContext(),
  access: TerminologyAccess = {},
): TerminologySource {
  const readable = async (r: StoredResource | undefined) =>
    !!r && !r.deleted && (!access.canRead || (await access.canRead(r)));
  return {
    async byUrl(type, url) {
      let request: SearchRequest = { resourceType: type, params: [['url', url]] };
      if (access.restrictSearch) request = await access.restrictSearch(request);
      const result = await search.search(request, ctx);
      for (const m of result.matches) {
        const r = m.resource as ValueSet | CodeSystem | undefined;
        if (r?.url !== undefined && unversioned(r.url) === url && (await readable(m))) return r;
      }
      return undefined;
    },
    async valueSetById(id) {
      const found = await store.read('ValueSet', id);
      return (await readable(found)) ? (found!.resource as ValueSet | undefined) : undefined;
    },
  };
}
