/**
 * Search criteria as subscription filters: `Observation?code=http://loinc.org|1234-5&subject=Patient/1`
 * parsed with core's search-request parser, and matched in memory against a
 * resource's extracted search values (the same extraction the index uses),
 * with the search engines' semantics: a scale test checks that this matcher
 * and the LMDB engine find the same resources for thousands of queries
 * (`matcher-agrees.scale.test.ts`).
 */
import {
  approximateDateRange,
  approximateNumberRange,
  type CanonicalQuantityQuery,
  canonicalQuantityQuery,
  compileExtractor,
  FhirError,
  hasWordStartingWith,
  type IndexValue,
  isResourceType,
  normalizeString,
  officialTerminology,
  type ParamClause,
  parseSearchRequest,
  type QuantityQuery,
  type QuantityValue,
  SearchParameterRegistry,
  type TerminologyLookup,
  type ValueQuery,
} from '@fhirstream/core';

/**
 * Criteria are parsed once, at registration, synchronously: `:in` / `:not-in`
 * / `:below` / `:above` use the official R4 terminology only (a ValueSet
 * stored on the server is refused, as it could change after registration).
 */
const criteriaTerminology: TerminologyLookup = {
  ...officialTerminology,
  unknownHint: 'subscription criteria can use official R4 ValueSets only, not ones stored on the server',
};

/** A parsed filter on one resource type: its clauses are ANDed, the values of a clause ORed. */
export interface CompiledFilter {
  resourceType: string;
  /** The criteria as written. */
  text: string;
  clauses: ParamClause[];
}

let defaultRegistry: SearchParameterRegistry | undefined;
/** The registry used when none is given (the official R4 parameters). */
export function officialRegistry(): SearchParameterRegistry {
  defaultRegistry ??= new SearchParameterRegistry();
  return defaultRegistry;
}

const RESULT_PARAMS = /^_(count|sort|include|revinclude|summary|elements|total|contained|containedType)(:|$)/;

/**
 * Parse `Type?query` (or a bare `Type`) into a filter; `FhirError('invalid')`
 * for anything a subscription cannot evaluate in memory (unknown types or
 * parameters, chains, `_has`, `_list`, `_text`, result parameters).
 *
 * @example
 * ```ts
 * const f = parseCriteria('Observation?code=http://loinc.org|1234-5&subject=Patient/1');
 * f.clauses.map((c) => c.param.code); // ['code', 'subject']
 * ```
 */
export function parseCriteria(
  criteria: string,
  registry: SearchParameterRegistry = officialRegistry(),
  allowedType?: (type: string) => boolean,
): CompiledFilter {
  const text = criteria.trim();
  const q = text.indexOf('?');
  const resourceType = (q < 0 ? text : text.slice(0, q)).replace(/^.*\//, '');
  if (!isResourceType(resourceType))
    throw new FhirError('invalid', `Subscription criteria must start with a resource type: ${criteria}`);
  if (allowedType && !allowedType(resourceType))
    throw new FhirError('invalid', `Criteria on ${resourceType} are not allowed here: ${criteria}`);
  const params = [...new URLSearchParams(q < 0 ? '' : text.slice(q + 1))];
  for (const [name] of params) {
    if (RESULT_PARAMS.test(name))
      throw new FhirError('invalid', `Result parameter ${name} is not allowed in subscription criteria`);
  }
  let parsed: ReturnType<typeof parseSearchRequest>;
  try {
    parsed = parseSearchRequest(
      { resourceType, params, handling: 'strict' },
      {
        lookup: registry,
        terminology: criteriaTerminology,
      },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new FhirError('invalid', `Invalid subscription criteria ${criteria}: ${message}`);
  }
  const clauses: ParamClause[] = [];
  for (const clause of parsed.types[0]?.clauses ?? []) {
    if (clause.kind !== 'param' || clause.values.some((v) => v.kind === 'text'))
      throw new FhirError(
        'invalid',
        `Subscription criteria cannot use ${clause.kind === 'param' ? clause.param.code : clause.kind}: ${criteria}`,
      );
    clauses.push(clause);
  }
  return { resourceType, text, clauses };
}

/**
 * The search values of one resource, extracted per parameter on first use
 * and then reused by every subscription that looks at the same write.
 */
export class ResourceValues {
  readonly #cache = new Map<string, IndexValue[]>();
  constructor(
    readonly resource: { resourceType: string } | undefined,
    private readonly registry: SearchParameterRegistry = officialRegistry(),
  ) {}

  /** The values of parameter `code` (empty when the resource has none, or is absent). */
  get(code: string): IndexValue[] {
    let values = this.#cache.get(code);
    if (values) return values;
    values = [];
    const r = this.resource;
    if (r) {
      const def = this.registry.get(r.resourceType, code);
      const extractor = def && compileExtractor(r.resourceType, def);
      extractor?.extract(r, values);
    }
    this.#cache.set(code, values);
    return values;
  }
}

/**
 * Whether a resource matches a filter (all clauses).
 *
 * @example
 * ```ts
 * const f = parseCriteria('Observation?status=final');
 * matchesFilter(f, new ResourceValues({ resourceType: 'Observation', status: 'final' })); // true
 * ```
 */
export function matchesFilter(filter: CompiledFilter, values: ResourceValues): boolean {
  if (values.resource?.resourceType !== filter.resourceType) return false;
  for (const clause of filter.clauses)
    if (!matchesClause(clause, values.get(clause.param.code))) return false;
  return true;
}

/** One clause against the values of its parameter. */
export function matchesClause(clause: ParamClause, values: IndexValue[]): boolean {
  const first = clause.values[0];
  if (first?.kind === 'missing') return (values.length === 0) === first.missing;
  if (clause.modifier === 'not')
    return !clause.values.some((q) => values.some((v) => matchesValue(q, v, undefined)));
  return clause.values.some((q) => matchesQuery(q, values, clause.modifier));
}

/**
 * One value of a clause against the resource's values: some value matches;
 * for `ne`, as the engines read it, the resource has a value and none equals
 * the search value (`ne70` does not find components valued 70 and 80).
 */
function matchesQuery(q: ValueQuery, values: IndexValue[], modifier: string | undefined): boolean {
  if ('prefix' in q && q.prefix === 'ne') {
    const eq = { ...q, prefix: 'eq' } as ValueQuery;
    return values.some((v) => v.kind === q.kind) && !values.some((v) => matchesValue(eq, v, modifier));
  }
  return values.some((v) => matchesValue(q, v, modifier));
}

function matchesValue(q: ValueQuery, v: IndexValue, modifier: string | undefined): boolean {
  switch (q.kind) {
    case 'token':
      if (v.kind !== 'token') return false;
      if (q.system !== undefined && (q.system === '' ? v.system !== undefined : v.system !== q.system))
        return false;
      return q.code === undefined || v.code === q.code;
    case 'token-text':
      return (
        v.kind === 'token' && v.text !== undefined && hasWordStartingWith(normalizeString(v.text), q.text)
      );
    case 'token-of-type':
      return (
        v.kind === 'token' && v.typeSystem === q.typeSystem && v.typeCode === q.typeCode && v.code === q.value
      );
    case 'string':
      if (v.kind !== 'string') return false;
      if (modifier === 'exact') return v.exact === q.value;
      if (modifier === 'contains') return v.normalized.includes(q.normalized);
      return v.normalized.startsWith(q.normalized);
    case 'date':
      return v.kind === 'date' && compareRange(q.prefix, v.low, v.high, q.low, q.high, Date.now());
    case 'number':
      return v.kind === 'number' && compareNumber(q.prefix, v.value, q.value, q.low, q.high);
    case 'quantity':
      return v.kind === 'quantity' && matchesQuantity(q, v);
    case 'reference':
      if (v.kind !== 'reference') return false;
      if (q.url !== undefined)
        return v.url === q.url || (v.type !== undefined && q.url.endsWith(`/${v.type}/${v.id}`));
      if (q.id !== v.id) return false;
      if (q.version !== undefined && v.version !== q.version) return false;
      return q.types.length === 0 || (v.type !== undefined && q.types.includes(v.type));
    case 'reference-identifier':
      if (v.kind !== 'reference' || !v.identifier) return false;
      if (q.system !== undefined && v.identifier.system !== q.system) return false;
      return q.value === undefined || v.identifier.value === q.value;
    case 'uri':
      if (v.kind !== 'uri') return false;
      if (modifier === 'below') return v.value.startsWith(q.value);
      if (modifier === 'above') return q.value.startsWith(v.value);
      return v.value === q.value;
    case 'composite':
      // Every component within the same composite value (one repetition).
      return (
        v.kind === 'composite' &&
        q.components.every(
          (c, i) => v.components[i] !== undefined && matchesValue(c, v.components[i]!, undefined),
        )
      );
    default:
      return false;
  }
}

/**
 * A quantity: without a system, by value and `code` or `unit`; with one, by
 * system, code and value, or for UCUM also by the canonical forms (`1000|…|g`
 * finds `1 kg`; annotations such as `{score}` are dimensionless `1`).
 */
function matchesQuantity(q: QuantityQuery, v: QuantityValue): boolean {
  if (q.system === undefined) {
    if (q.code !== undefined && v.code !== q.code && v.unit !== q.code) return false;
    return compareNumber(q.prefix, v.value, q.value, q.low, q.high);
  }
  if (q.code === undefined) return false;
  if (v.system === q.system && v.code === q.code && compareNumber(q.prefix, v.value, q.value, q.low, q.high))
    return true;
  if (!v.canonical) return false;
  const c = canonicalOf(q);
  if (!c || c.code !== v.canonical.code) return false;
  return compareNumber(q.prefix, v.canonical.value, c.value, c.low, c.high);
}

/** Canonical forms of the criteria's quantity values, computed once per value (criteria live as long as their subscription). */
const canonicalQueries = new WeakMap<QuantityQuery, CanonicalQuantityQuery | null>();

function canonicalOf(q: QuantityQuery): CanonicalQuantityQuery | undefined {
  let c = canonicalQueries.get(q);
  if (c === undefined) {
    c = canonicalQuantityQuery(q) ?? null;
    canonicalQueries.set(q, c);
  }
  return c ?? undefined;
}

/** R4 prefix semantics on ranges: the resource's [low, high] against the search value's [qLow, qHigh]. */
function compareRange(
  prefix: string,
  low: number,
  high: number,
  qLow: number,
  qHigh: number,
  now: number,
): boolean {
  switch (prefix) {
    case 'eq':
      return low >= qLow && high <= qHigh;
    case 'ne':
      return !(low >= qLow && high <= qHigh);
    case 'gt':
      return high > qHigh;
    case 'lt':
      return low < qLow;
    case 'ge':
      return high >= qLow;
    case 'le':
      return low <= qHigh;
    case 'sa':
      return low > qHigh;
    case 'eb':
      return high < qLow;
    default: {
      // ap: overlap with the search range widened by a tenth of its distance from now
      const [apLow, apHigh] = approximateDateRange(qLow, qHigh, now);
      return low <= apHigh && high >= apLow;
    }
  }
}

function compareNumber(prefix: string, value: number, q: number, qLow: number, qHigh: number): boolean {
  switch (prefix) {
    case 'eq':
      return value >= qLow && value < qHigh;
    case 'ne':
      return !(value >= qLow && value < qHigh);
    case 'gt':
    case 'sa':
      return value > q;
    case 'lt':
    case 'eb':
      return value < q;
    case 'ge':
      return value >= q;
    case 'le':
      return value <= q;
    default: {
      const [apLow, apHigh] = approximateNumberRange(q);
      return value >= apLow && value <= apHigh;
    }
  }
}
