import type { Resource } from 'fhir/r4';

/**
 * A resource serialized once, outside the write lock, so that stamping a
 * version onto it inside the lock is a string concatenation, not a
 * `JSON.stringify` of the whole resource.
 */
export interface PreparedBody {
  resourceType: string;
  /** JSON of the resource without `resourceType`, `id` and `meta` ('' when empty). */
  rest: string;
  /** JSON members of `meta` other than `versionId` and `lastUpdated` ('' when none). */
  metaRest: string;
}

/**
 * Serialize a resource for {@link stampBody}.
 *
 * @example
 * ```ts
 * const prepared = prepareBody({ resourceType: 'Patient', active: true });
 * ```
 */
export function prepareBody(resource: Resource): PreparedBody {
  const { resourceType, id: _id, meta, ...others } = resource as Resource & Record<string, unknown>;
  const rest = JSON.stringify(others);
  let metaRest = '';
  if (meta) {
    const { versionId: _v, lastUpdated: _l, ...metaOthers } = meta;
    const json = JSON.stringify(metaOthers);
    metaRest = json.length > 2 ? json.slice(1, -1) : '';
  }
  return { resourceType, rest: rest.length > 2 ? rest.slice(1, -1) : '', metaRest };
}

/**
 * The stored JSON of one version: `resourceType`, `id`, then `meta` with the
 * assigned `versionId` and `lastUpdated`, then the resource's other elements.
 *
 * @example
 * ```ts
 * stampBody(prepareBody({ resourceType: 'Patient' }), 'p1', '1', '2026-01-01T00:00:00.000Z');
 * // '{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00.000Z"}}'
 * ```
 */
export function stampBody(body: PreparedBody, id: string, versionId: string, lastUpdated: string): string {
  const meta = `"meta":{"versionId":"${versionId}","lastUpdated":"${lastUpdated}"${body.metaRest ? `,${body.metaRest}` : ''}}`;
  return `{"resourceType":${JSON.stringify(body.resourceType)},"id":"${id}",${meta}${body.rest ? `,${body.rest}` : ''}}`;
}
