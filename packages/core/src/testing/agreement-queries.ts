/**
 * Search queries generated from resources, for comparing two implementations
 * of search over the same data: two engines, or an engine and the
 * subscriptions' in-memory matcher (see `engines-agree.scale.test.ts` in
 * `@fhirstream/http`). For every indexed parameter of a sample of resources,
 * the spec's forms of a value it holds: token with and without system,
 * `:not`, `:text`; string prefix, `:exact`, `:contains`; every date prefix at
 * day precision, plus year and month; number and quantity prefixes and
 * `value|system|code`; reference by `Type/id`, `:Type`, bare id and
 * `:identifier`; uri `:below`/`:above`; composite; and `:missing` both ways.
 * Deterministic: the same resources give the same list.
 */

import { indexedParams } from '../search/extraction/indexed.js';
import type { IndexValue } from '../search/index-values.js';
import type { SearchParameterRegistry } from '../search/registry.js';

type Resource = { resourceType: string; id: string } & Record<string, unknown>;

const DATE_PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];
const NUMBER_PREFIXES = ['', 'gt', 'le', 'ne', 'ap'];

/**
 * The queries (`Type?params`, without `_summary`) for up to `perType`
 * resources of each type, taking the first two values of each parameter.
 *
 * @example
 * ```ts
 * agreementQueries([{ resourceType: 'Patient', id: 'p1', gender: 'male' }], registry);
 * // ['Patient?gender:missing=true', 'Patient?gender:missing=false', 'Patient?gender=male', …]
 * ```
 */
export function agreementQueries(
  resources: Iterable<Resource>,
  registry: SearchParameterRegistry,
  perType = 30,
): string[] {
  const queries = new Set<string>();
  const seen = new Map<string, number>();
  const missing = new Set<string>();
  for (const resource of resources) {
    const type = resource.resourceType;
    const n = seen.get(type) ?? 0;
    if (n >= perType) continue;
    seen.set(type, n + 1);
    for (const param of indexedParams(resource, resource.id, '2026-01-01T00:00:00Z', registry)) {
      if (param.code === '_id' || param.code === '_lastUpdated') continue;
      const add = (value: string) => queries.add(`${type}?${value}`);
      if (!missing.has(`${type}.${param.code}`)) {
        missing.add(`${type}.${param.code}`);
        add(`${param.code}:missing=true`);
        add(`${param.code}:missing=false`);
      }
      for (const value of param.values.slice(0, 2))
        for (const form of valueForms(param.code, value)) add(form);
    }
  }
  return [...queries];
}

/** A value part escaped as search.html says (`\\`, `\,`, `\$`, `\|`), then URL-encoded. */
const enc = (part: string) => encodeURIComponent(part.replace(/[\\,$|]/g, '\\$&'));

/** The `code[:modifier]=value` forms that search for `value`. */
function valueForms(code: string, v: IndexValue): string[] {
  switch (v.kind) {
    case 'token': {
      const out: string[] = [];
      if (v.code !== undefined) {
        out.push(`${code}=${enc(v.code)}`);
        if (v.system) {
          const both = `${enc(v.system)}|${enc(v.code)}`;
          out.push(`${code}=${both}`, `${code}:not=${both}`, `${code}=${enc(v.system)}|`);
        } else out.push(`${code}=|${enc(v.code)}`);
      }
      const word = v.text?.split(/\s+/)[0];
      if (word) out.push(`${code}:text=${enc(word)}`);
      return out;
    }
    case 'string': {
      const out = [`${code}=${enc(v.normalized.slice(0, 3))}`, `${code}:exact=${enc(v.exact)}`];
      if (v.normalized.length > 4) out.push(`${code}:contains=${enc(v.normalized.slice(1, 4))}`);
      return out;
    }
    case 'date': {
      if (!Number.isFinite(v.low)) return [];
      const iso = new Date(v.low).toISOString();
      return [
        ...DATE_PREFIXES.map((p) => `${code}=${p}${iso.slice(0, 10)}`),
        `${code}=ge${iso.slice(0, 4)}`,
        `${code}=lt${iso.slice(0, 7)}`,
        `${code}=${enc(`${iso.slice(0, 19)}Z`)}`,
      ];
    }
    case 'number':
    case 'quantity': {
      const out = NUMBER_PREFIXES.map((p) => `${code}=${p}${v.value}`);
      if (v.kind === 'quantity' && v.code)
        out.push(
          `${code}=${v.value}|${enc(v.system ?? '')}|${enc(v.code)}`,
          `${code}=gt${v.value}||${enc(v.code)}`,
        );
      return out;
    }
    case 'reference': {
      const out: string[] = [];
      if (v.type && v.id)
        out.push(
          `${code}=${enc(`${v.type}/${v.id}`)}`,
          `${code}:${v.type}=${enc(v.id)}`,
          `${code}=${enc(v.id)}`,
        );
      if (v.identifier?.value)
        out.push(`${code}:identifier=${enc(v.identifier.system ?? '')}|${enc(v.identifier.value)}`);
      // Not conditional references (`Type?…`, resolved by the server when it stores them) nor contained ones.
      if (v.url && !v.url.includes('?') && !v.url.startsWith('#')) out.push(`${code}=${enc(v.url)}`);
      return out;
    }
    case 'uri': {
      const parent = v.value.slice(0, Math.max(8, v.value.lastIndexOf('/')));
      return [`${code}=${enc(v.value)}`, `${code}:below=${enc(parent)}`, `${code}:above=${enc(v.value)}`];
    }
    case 'composite': {
      const parts = v.components.map(componentValue);
      return parts.every((p) => p !== undefined) ? [`${code}=${parts.join('$')}`] : [];
    }
  }
}

function componentValue(c: Exclude<IndexValue, { kind: 'composite' }>): string | undefined {
  switch (c.kind) {
    case 'token':
      if (c.code === undefined) return undefined;
      return c.system ? `${enc(c.system)}|${enc(c.code)}` : enc(c.code);
    case 'number':
    case 'quantity':
      return String(c.value);
    case 'date':
      return Number.isFinite(c.low) ? new Date(c.low).toISOString().slice(0, 10) : undefined;
    case 'string':
      return enc(c.normalized);
    default:
      return undefined;
  }
}
