/**
 * Parsing of literal references (`Reference.reference`) into type, id and
 * version for the `reference` search index.
 */
import { isResourceType } from '../../definitions/index.js';
import type { ReferenceValue } from '../index-values.js';

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;
const ABSOLUTE_TAIL = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/**
 * Parse a literal reference: relative `Type/id` and `Type/id/_history/v` give
 * type, id (and version); an absolute URL keeps `url` and also gives type, id
 * and version from its last segments when they are `Type/id[/_history/v]`;
 * anything else (`#contained`, `urn:uuid:…`, a conditional reference) is kept as `url`.
 *
 * @example
 * ```ts
 * parseReference('Patient/1/_history/2'); // { kind: 'reference', type: 'Patient', id: '1', version: '2' }
 * parseReference('http://x.org/fhir/Patient/1'); // { kind: 'reference', url: 'http://x.org/fhir/Patient/1', type: 'Patient', id: '1' }
 * parseReference('urn:uuid:0a1b…'); // { kind: 'reference', url: 'urn:uuid:0a1b…' }
 * ```
 */
export function parseReference(reference: string): ReferenceValue {
  let m = RELATIVE.exec(reference);
  if (m !== null && isResourceType(m[1]!)) {
    const value: ReferenceValue = { kind: 'reference', type: m[1]!, id: m[2]! };
    if (m[3] !== undefined) value.version = m[3];
    return value;
  }
  const value: ReferenceValue = { kind: 'reference', url: reference };
  if (reference.includes('://')) {
    m = ABSOLUTE_TAIL.exec(reference);
    if (m !== null && isResourceType(m[1]!)) {
      value.type = m[1]!;
      value.id = m[2]!;
      if (m[3] !== undefined) value.version = m[3];
    }
  }
  return value;
}

/**
 * The resource type a literal reference points to, or `undefined` when it
 * cannot be told from the string (used for `where(resolve() is Type)`).
 *
 * @example
 * ```ts
 * referenceType('Patient/1'); // 'Patient'
 * referenceType('#p1'); // undefined
 * ```
 */
export function referenceType(reference: string): string | undefined {
  const slash = reference.indexOf('/');
  if (slash > 0 && !reference.includes('://')) {
    const m = RELATIVE.exec(reference);
    return m !== null && isResourceType(m[1]!) ? m[1] : undefined;
  }
  return parseReference(reference).type;
}
