/**
 * The Bulk Data Access v2 kick-off parameters, validated: `_outputFormat`,
 * `_since`, `_type`, `_elements`, `_typeFilter`, `patient` (POST), and the
 * `Prefer: respond-async` requirement.
 */
import { FhirError, isResourceType, parseDateRange, type SearchParams } from '@fhirstream/core';
import { type ParameterEntry, parametersOf, parameterValue, rejectUnknown } from '../operation/parameters.js';

/** The output formats this server writes (all the same: FHIR ndjson). */
export const OUTPUT_FORMATS: ReadonlySet<string> = new Set([
  'application/fhir+ndjson',
  'application/ndjson',
  'ndjson',
]);

/** A parsed kick-off. */
export interface ExportParams {
  types?: string[];
  /** FHIR instant (ISO) of `_since`. */
  since?: string;
  /** `_elements`: per type (`Type.element`), and `*` for plain `element`. */
  elements?: Record<string, string[]>;
  /** `_typeFilter`: per type, the queries (each a list of search parameters). */
  typeFilters?: Record<string, SearchParams[]>;
  /** `patient` (POST): ids. */
  patients?: string[];
}

const KNOWN = new Set([
  '_outputFormat',
  '_since',
  '_type',
  '_elements',
  '_typeFilter',
  'patient',
  '_format',
  '_pretty',
]);

/**
 * Read and validate a kick-off's parameters (query for GET, `Parameters` body for POST).
 *
 * @example
 * ```ts
 * exportParams([['_type', 'Patient,Observation'], ['_outputFormat', 'ndjson']], undefined, 'lenient');
 * // { types: ['Patient', 'Observation'] }
 * ```
 */
export function exportParams(
  query: SearchParams,
  body: unknown,
  handling?: 'strict' | 'lenient',
): ExportParams {
  const pairs: SearchParams = [...query];
  for (const p of parametersOf(body) as ParameterEntry[]) {
    const v = parameterValue(p);
    if (v !== undefined) pairs.push([p.name, v]);
  }
  rejectUnknown(pairs, KNOWN, handling);
  const out: ExportParams = {};
  for (const [name, value] of pairs) {
    switch (name) {
      case '_outputFormat':
        if (!OUTPUT_FORMATS.has(value.trim()))
          throw new FhirError(
            'invalid',
            `Unsupported _outputFormat: ${value} (use application/fhir+ndjson)`,
            {
              expression: ['_outputFormat'],
            },
          );
        break;
      case '_since':
        if (!/T|^\d{4}(-\d{2}(-\d{2})?)?$/.test(value))
          throw new FhirError('invalid', `Invalid _since: ${value}`);
        out.since = new Date(parseDateRange(value, '_since').low).toISOString();
        break;
      case '_type':
        for (const t of split(value)) {
          if (!isResourceType(t))
            throw new FhirError('invalid', `Unknown resource type in _type: ${t}`, { expression: ['_type'] });
          out.types = [...(out.types ?? []), t];
        }
        break;
      case '_elements':
        for (const e of split(value)) {
          const dot = e.indexOf('.');
          const type = dot < 0 ? '*' : e.slice(0, dot);
          const element = dot < 0 ? e : e.slice(dot + 1);
          if (type !== '*' && !isResourceType(type))
            throw new FhirError('invalid', `Unknown resource type in _elements: ${e}`, {
              expression: ['_elements'],
            });
          out.elements ??= {};
          out.elements[type] = [...(out.elements[type] ?? []), element];
        }
        break;
      case '_typeFilter':
        for (const filter of splitFilters(value)) {
          const q = filter.indexOf('?');
          const type = q < 0 ? filter : filter.slice(0, q);
          if (!isResourceType(type))
            throw new FhirError('invalid', `Invalid _typeFilter (Type?query expected): ${filter}`, {
              expression: ['_typeFilter'],
            });
          const params = [...new URLSearchParams(q < 0 ? '' : filter.slice(q + 1))] as SearchParams;
          out.typeFilters ??= {};
          out.typeFilters[type] = [...(out.typeFilters[type] ?? []), params];
        }
        break;
      case 'patient': {
        const m = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(value);
        if (!m)
          throw new FhirError('invalid', `Invalid patient reference: ${value}`, { expression: ['patient'] });
        out.patients = [...(out.patients ?? []), m[1]!];
        break;
      }
    }
  }
  return out;
}

const split = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** `_typeFilter` values are comma-separated, but a comma inside a query (an OR) belongs to it: split before `Type?`. */
function splitFilters(value: string): string[] {
  return value
    .split(/,(?=[A-Z][A-Za-z]+\?)/)
    .map((s) => s.trim())
    .filter(Boolean);
}
