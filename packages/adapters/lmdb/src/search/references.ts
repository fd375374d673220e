import {
  compileExtractor,
  type IndexValue,
  type SearchParameterRegistry,
  type StoredResource,
} from '@fhirstream/core';

/**
 * The `Type/id` targets of one reference parameter of a resource, extracted
 * from the resource itself with that parameter's compiled expression only.
 *
 * @example
 * ```ts
 * referencesOf(registry, observation, 'subject'); // [['Patient', 'p1']]
 * ```
 */
export function referencesOf(
  registry: SearchParameterRegistry,
  r: StoredResource,
  code: string,
): Array<[string, string]> {
  const definition = registry.get(r.resourceType, code);
  if (definition?.type !== 'reference' || !r.resource) return [];
  const extractor = compileExtractor(r.resourceType, definition, (url) => registry.byUrl(url));
  const values: IndexValue[] = [];
  extractor?.extract(r.resource, values);
  const out: Array<[string, string]> = [];
  for (const v of values) if (v.kind === 'reference' && v.type && v.id) out.push([v.type, v.id]);
  return out;
}
