import { randomUUID } from 'node:crypto';

/** The R4 `id` datatype: 1 to 64 of `A-Z a-z 0-9 - .`. */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** A resource type name as FHIR spells them (`Patient`, `MedicationRequest`). */
export const RESOURCE_TYPE_PATTERN = /^[A-Z][A-Za-z]{1,63}$/;

/**
 * True when `id` is a valid FHIR resource id.
 *
 * @example
 * ```ts
 * isFhirId('abc-1.2'); // true
 * isFhirId('a/b');     // false
 * ```
 */
export function isFhirId(id: unknown): id is string {
  return typeof id === 'string' && FHIR_ID_PATTERN.test(id);
}

/**
 * A new server-assigned resource id (a UUID, which is a valid FHIR id).
 *
 * @example
 * ```ts
 * const id = newResourceId(); // '1b4e28ba-2fa1-11d2-883f-0016d3cca427'
 * ```
 */
export function newResourceId(): string {
  return randomUUID();
}
