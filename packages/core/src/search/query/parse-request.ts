/**
 * Parse a {@link SearchRequest} into a {@link ParsedSearch}: filter clauses
 * per searched type, result parameters, the canonical self parameters, and
 * the strict / lenient handling of what is unknown or unsupported.
 */
import type { OperationOutcomeIssue } from 'fhir/r4';
import { getSearchParameter, isResourceType, patientCompartmentParams } from '../../definitions/index.js';
import { FhirError } from '../../errors/fhir-error.js';
import type { TerminologyLookup } from '../../terminology/types.js';
import type { SearchParams, SearchRequest } from '../types.js';
import { type ClauseEnv, officialParameterByUrl, parseClause, SearchRejection } from './parse-clause.js';
import { splitEscaped, unescapeValue } from './parse-values.js';
import type {
  IncludeSpec,
  ParsedSearch,
  SearchClause,
  SearchParameterLookup,
  SortKey,
  TypeQuery,
} from './types.js';

/** Options of {@link parseSearchRequest}. */
export interface ParseSearchOptions {
  /** Search parameters (default: the official R4 tables). Pass the registry to include runtime additions. */
  lookup?: SearchParameterLookup;
  /** Page size without `_count` (default 20). */
  defaultCount?: number;
  /** Largest page size; a larger `_count` is reduced to it with a warning (default 1000). */
  maxCount?: number;
  /** A message when a parameter may not be used yet (e.g. still being indexed). */
  notReady?: (resourceType: string, code: string) => string | undefined;
  /** ValueSets and CodeSystems for `:in` / `:not-in` / `:below` / `:above` (default: the official R4 ones); see `resolveSearchTerminology`. */
  terminology?: TerminologyLookup;
}

/** The official R4 search parameters as a {@link SearchParameterLookup}. */
export const officialSearchParameters: SearchParameterLookup = {
  get: getSearchParameter,
  byUrl: officialParameterByUrl,
};

/** The query parameter carrying the paging cursor. */
export const CURSOR_PARAM = '_cursor';

const SILENT = new Set(['_format', '_pretty']);
const SORTABLE = new Set(['string', 'token', 'date', 'number', 'quantity', 'reference', 'uri']);

/**
 * Parse and validate a search request.
 *
 * @example
 * ```ts
 * const q = parseSearchRequest({ resourceType: 'Observation', params: [['code', 'http://loinc.org|1234-5'], ['_count', '10']] });
 * q.types[0].clauses[0]; // { kind: 'param', param: { code: 'code', type: 'token', ... }, values: [{ kind: 'token', system: 'http://loinc.org', code: '1234-5' }] }
 * q.count; // 10
 * ```
 */
export function parseSearchRequest(request: SearchRequest, options: ParseSearchOptions = {}): ParsedSearch {
  const strict = request.handling === 'strict';
  const lookup = options.lookup ?? officialSearchParameters;
  const env: ClauseEnv = {
    lookup,
    ...(options.notReady ? { notReady: options.notReady } : {}),
    ...(options.terminology ? { terminology: options.terminology } : {}),
  };
  const maxCount = options.maxCount ?? 1000;
  const warnings: OperationOutcomeIssue[] = [];
  const selfParams: SearchParams = [];

  const reject = (error: SearchRejection, name: string): void => {
    if (strict) throw new FhirError(error.code, error.message, { expression: [name] });
    warnings.push({
      severity: 'warning',
      code:
        error.code === 'unknown-parameter'
          ? 'invalid'
          : error.code === 'not-ready'
            ? 'transient'
            : 'not-supported',
      diagnostics: `${error.message}; the parameter was ignored`,
      expression: [name],
    });
  };

  if (request.resourceType !== undefined && !isResourceType(request.resourceType))
    throw new FhirError('not-found', `Unknown resource type ${request.resourceType}`);

  // The searched types.
  let typeNames: string[];
  const typeParams = request.params.filter(([n]) => n === '_type');
  if (request.resourceType) {
    typeNames = [request.resourceType];
    for (const [n] of typeParams)
      reject(new SearchRejection('unknown-parameter', '_type is only for system search'), n);
  } else if (typeParams.length > 0) {
    const names = new Set<string>();
    for (const [, v] of typeParams)
      for (const t of splitEscaped(v, ',').map(unescapeValue)) {
        if (!isResourceType(t)) throw new FhirError('invalid', `_type: unknown resource type ${t}`);
        names.add(t);
      }
    typeNames = [...names];
    selfParams.push(['_type', typeNames.join(',')]);
  } else typeNames = ['*'];
  const types: TypeQuery[] = typeNames.map((resourceType) => ({ resourceType, clauses: [] }));

  const parsed: ParsedSearch = {
    types,
    count: Math.min(options.defaultCount ?? 20, maxCount),
    sort: [],
    total: undefined,
    include: [],
    revinclude: [],
    selfParams,
    warnings,
  };

  if (request.compartment) addCompartment(request.compartment, types, parsed, strict);

  for (const [name, value] of request.params) {
    if (name === '_type' || SILENT.has(name)) continue;
    if (name === CURSOR_PARAM) {
      parsed.cursor = value;
      continue;
    }
    try {
      if (
        name.startsWith('_') &&
        !name.startsWith('_has:') &&
        parseResultParam(name, value, parsed, types, lookup, maxCount)
      )
        continue;
      const perType: SearchClause[] = types.map((t) => parseClause(t.resourceType, name, value, env));
      for (const [i, clause] of perType.entries()) types[i]!.clauses.push(clause);
      selfParams.push([name, value]);
    } catch (error) {
      if (error instanceof SearchRejection) reject(error, name);
      else throw error;
    }
  }
  return parsed;
}

function addCompartment(
  compartment: { resourceType: string; id: string },
  types: TypeQuery[],
  parsed: ParsedSearch,
  strict: boolean,
): void {
  if (compartment.resourceType !== 'Patient')
    throw new FhirError('not-supported', `Compartment ${compartment.resourceType} is not supported`);
  for (const t of types) {
    if (t.resourceType === '*') throw new FhirError('invalid', 'A compartment search needs a resource type');
    const params = patientCompartmentParams(t.resourceType)
      .map((code) => getSearchParameter(t.resourceType, code))
      .filter((p) => p !== undefined)
      .map((p) => ({ code: p.code, type: p.type, url: p.url, ...(p.target ? { target: p.target } : {}) }));
    if (params.length === 0 && t.resourceType !== 'Patient') {
      const message = `${t.resourceType} is not in the Patient compartment`;
      if (strict) throw new FhirError('invalid', message);
      parsed.warnings.push({ severity: 'warning', code: 'invalid', diagnostics: message });
    }
    t.clauses.push({ kind: 'compartment', compartmentType: 'Patient', id: compartment.id, params });
  }
}

/** Returns false when `name` is not a result parameter (then it is a filter such as `_id`). */
function parseResultParam(
  name: string,
  value: string,
  parsed: ParsedSearch,
  types: TypeQuery[],
  lookup: SearchParameterLookup,
  maxCount: number,
): boolean {
  const [base, modifier] = splitName(name);
  switch (base) {
    case '_count': {
      if (modifier !== undefined) throw new SearchRejection('unknown-parameter', `Unknown modifier ${name}`);
      if (!/^\d+$/.test(value))
        throw new FhirError('invalid', `_count must be a non-negative integer: ${value}`);
      let count = Number(value);
      if (count > maxCount) {
        parsed.warnings.push({
          severity: 'warning',
          code: 'too-costly',
          diagnostics: `_count reduced from ${count} to ${maxCount}`,
        });
        count = maxCount;
      }
      parsed.count = count;
      parsed.selfParams.push(['_count', String(count)]);
      return true;
    }
    case '_sort':
      parsed.sort = parseSort(value, types, lookup);
      parsed.selfParams.push(['_sort', value]);
      return true;
    case '_total':
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate')
        throw new FhirError('invalid', `_total must be none, estimate or accurate: ${value}`);
      parsed.total = value;
      parsed.selfParams.push(['_total', value]);
      return true;
    case '_summary':
      if (!['true', 'text', 'data', 'count', 'false'].includes(value))
        throw new FhirError('invalid', `_summary must be true, text, data, count or false: ${value}`);
      parsed.summary = value as ParsedSearch['summary'];
      parsed.selfParams.push(['_summary', value]);
      return true;
    case '_elements':
      parsed.elements = value;
      parsed.selfParams.push(['_elements', value]);
      return true;
    case '_include':
    case '_revinclude': {
      if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse')
        throw new SearchRejection('unknown-parameter', `Unknown modifier ${name}`);
      const spec = parseInclude(value, modifier !== undefined, lookup, name);
      (base === '_include' ? parsed.include : parsed.revinclude).push(spec);
      parsed.selfParams.push([modifier === 'recurse' ? `${base}:iterate` : name, value]);
      return true;
    }
    case '_contained':
      throw new SearchRejection('not-supported', '_contained is not supported');
    default:
      return false;
  }
}

function splitName(name: string): [string, string | undefined] {
  const i = name.indexOf(':');
  return i < 0 ? [name, undefined] : [name.slice(0, i), name.slice(i + 1)];
}

function parseSort(value: string, types: TypeQuery[], lookup: SearchParameterLookup): SortKey[] {
  const keys: SortKey[] = [];
  for (const item of value.split(',')) {
    const descending = item.startsWith('-');
    const code = descending ? item.slice(1) : item;
    if (!code) throw new FhirError('invalid', `Empty _sort key in ${value}`);
    if (code === '_id' || code === '_lastUpdated') {
      keys.push({ code, type: code === '_id' ? 'token' : 'date', descending });
      continue;
    }
    let type: SortKey['type'] | undefined;
    for (const t of types) {
      const def = lookup.get(t.resourceType === '*' ? 'Resource' : t.resourceType, code);
      if (!def) throw new SearchRejection('unknown-parameter', `_sort: unknown parameter ${code}`);
      if (!SORTABLE.has(def.type))
        throw new SearchRejection('not-supported', `_sort by ${code} is not supported`);
      type = def.type;
    }
    keys.push({ code, type: type!, descending });
  }
  return keys;
}

function parseInclude(
  value: string,
  iterate: boolean,
  lookup: SearchParameterLookup,
  name: string,
): IncludeSpec {
  if (value === '*') return { sourceType: '*', param: '*', iterate };
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3)
    throw new FhirError('invalid', `${name}: expected Type:parameter[:targetType]`);
  const [sourceType, param, targetType] = parts as [string, string, string | undefined];
  if (!isResourceType(sourceType))
    throw new SearchRejection('unknown-parameter', `${name}: unknown type ${sourceType}`);
  if (param !== '*') {
    const def = lookup.get(sourceType, param);
    if (def?.type !== 'reference')
      throw new SearchRejection(
        'unknown-parameter',
        `${name}: ${param} is not a reference parameter of ${sourceType}`,
      );
    if (targetType !== undefined && def.target && !def.target.includes(targetType))
      throw new SearchRejection(
        'unknown-parameter',
        `${name}: ${targetType} is not a target of ${sourceType}.${param}`,
      );
  }
  if (targetType !== undefined && !isResourceType(targetType))
    throw new SearchRejection('unknown-parameter', `${name}: unknown type ${targetType}`);
  return { sourceType, param, ...(targetType !== undefined ? { targetType } : {}), iterate };
}
