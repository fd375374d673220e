import type { Resource } from 'fhir/r4';
import { getElementTable } from '../definitions/index.js';
import { FhirError } from '../errors/fhir-error.js';
import type { SearchParams } from '../search/types.js';

/** How a resource is to be shown: `_summary` and `_elements`. */
export interface Representation {
  summary?: 'true' | 'text' | 'data' | 'count' | 'false';
  elements?: string[];
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
const SUMMARY_VALUES = new Set(['true', 'text', 'data', 'count', 'false']);
const ALWAYS = new Set(['resourceType', 'id', 'meta']);

/**
 * Read `_summary` and `_elements` from request parameters (400 on a bad `_summary`).
 *
 * @example
 * ```ts
 * representationOf([['_elements', 'name,birthDate']]); // { elements: ['name', 'birthDate'] }
 * ```
 */
export function representationOf(params: SearchParams): Representation {
  const out: Representation = {};
  for (const [name, value] of params) {
    if (name === '_summary') {
      if (!SUMMARY_VALUES.has(value))
        throw new FhirError('invalid', `Invalid _summary: ${value}`, { expression: ['_summary'] });
      out.summary = value as Representation['summary'];
    } else if (name === '_elements') {
      out.elements = [
        ...(out.elements ?? []),
        ...value
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean),
      ];
    }
  }
  return out;
}

/** True when the representation changes what is stored (so the stored bytes cannot be served as they are). */
export function isSubsetting(rep: Representation): boolean {
  return (
    (rep.summary !== undefined && rep.summary !== 'false') ||
    (rep.elements !== undefined && rep.elements.length > 0)
  );
}

/**
 * Apply `_summary` / `_elements` to a resource, tagging the result SUBSETTED.
 * `_summary=true` keeps the elements the R4 definitions mark as summary;
 * `text` keeps `text`, `id`, `meta` and mandatory top-level elements; `data` removes `text`.
 *
 * @example
 * ```ts
 * applyRepresentation(patient, { elements: ['birthDate'] }); // { resourceType, id, meta (SUBSETTED), birthDate }
 * ```
 */
export function applyRepresentation(resource: Resource, rep: Representation): Resource {
  if (!isSubsetting(rep)) return resource;
  const source = resource as unknown as Record<string, unknown>;
  const keep = keepFilter(resource.resourceType, rep);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    const base = key.startsWith('_') ? key.slice(1) : key;
    if (ALWAYS.has(key) || keep(base)) out[key] = source[key];
  }
  const meta = { ...(resource.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []).filter((t) => t.code !== SUBSETTED.code), SUBSETTED];
  out.meta = meta;
  return out as unknown as Resource;
}

function keepFilter(type: string, rep: Representation): (element: string) => boolean {
  if (rep.elements && rep.elements.length > 0) {
    const wanted = new Set(rep.elements.map((e) => e.replace(new RegExp(`^${type}\\.`), '').split('.')[0]!));
    const mandatory = mandatoryElements(type);
    return (element) => wanted.has(element) || mandatory.has(element);
  }
  switch (rep.summary) {
    case 'text': {
      const mandatory = mandatoryElements(type);
      return (element) => element === 'text' || mandatory.has(element);
    }
    case 'data':
      return (element) => element !== 'text';
    case 'true': {
      const summary = summaryElements(type);
      return (element) => summary.has(element);
    }
    default:
      return () => true;
  }
}

const mandatoryCache = new Map<string, Set<string>>();
const summaryCache = new Map<string, Set<string>>();

function mandatoryElements(type: string): Set<string> {
  let found = mandatoryCache.get(type);
  if (!found) {
    const table = getElementTable(type);
    found = new Set(
      Object.entries(table?.elements ?? {})
        .filter(([path, info]) => !path.includes('.') && info.min > 0)
        .flatMap(([path, info]) => (info.choices ? info.choices : [path])),
    );
    mandatoryCache.set(type, found);
  }
  return found;
}

function summaryElements(type: string): Set<string> {
  let found = summaryCache.get(type);
  if (!found) {
    const table = getElementTable(type);
    found = new Set(
      Object.entries(table?.elements ?? {})
        .filter(([path, info]) => !path.includes('.') && (info.summary || info.min > 0))
        .flatMap(([path, info]) => (info.choices ? info.choices : [path])),
    );
    summaryCache.set(type, found);
  }
  return found;
}
